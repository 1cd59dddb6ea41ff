#!/usr/bin/env bash
# BENCHMARKS.md (b2): an organization trail, ACCOUNTS (default 20) accounts x
# 4 regions x DAYS (default 7) days, served by trailguard-standin with
# LATENCY_MS (default 20) per request: `trailguard validate` once for the
# whole organization (every chain discovered), against `aws cloudtrail
# validate-logs` run once per account x region, as users must today (the
# CLI validates one account and its own region per run). Reports wall time,
# CPU and peak memory of trailguard, the CLI's total, and checks that every
# chain is valid in both. CLI_CHAINS=N runs the CLI on the first N chains
# only and scales its total to all of them (printed as an estimate).
#
#   scripts/bench-org.sh
#   ACCOUNTS=4 DAYS=2 scripts/bench-org.sh      # a quick run
set -euo pipefail
cd "$(dirname "$0")/.."
python3 -m pip install --quiet --disable-pip-version-check -r tests/emulator/requirements.txt
cargo build --release --quiet -p trailguard-cli -p trailguard-e2e --bin trailguard --bin trailguard-standin
bin=target/release
out=$(mktemp -d)
accounts=${ACCOUNTS:-20}; days=${DAYS:-7}
regions=us-east-1,us-west-2,eu-west-1,ap-southeast-2
"$bin/trailguard-standin" --latency-ms "${LATENCY_MS:-20}" --accounts "$accounts" --org-id o-a1b2c3d4e5 \
    --regions "$regions" --hours $((24 * days)) --logs-per-hour "${LOGS_PER_HOUR:-2}" --records "${RECORDS:-50}" \
    >"$out/standin.out" 2>"$out/standin.err" &
standin=$!
trap 'kill $standin 2>/dev/null; rm -rf "$out"' EXIT
for _ in $(seq 600); do grep -q listening "$out/standin.out" 2>/dev/null && break; sleep 0.2; done
url=$(awk '/listening/ {print $2}' "$out/standin.out")
cat "$out/standin.err"
export AWS_ENDPOINT_URL="$url" AWS_ACCESS_KEY_ID=standin AWS_SECRET_ACCESS_KEY=standin \
    AWS_REGION=us-east-1 AWS_DEFAULT_REGION=us-east-1 AWS_EC2_METADATA_DISABLED=true \
    AWS_CONFIG_FILE=/dev/null AWS_SHARED_CREDENTIALS_FILE=/dev/null
arn=arn:aws:cloudtrail:us-east-1:111122223333:trail/main-trail
start=2026-01-15T00:00:00Z
end=$(date -u -d "2026-01-15 + $days days" +%Y-%m-%dT%H:%M:%SZ)
/usr/bin/time -f "trailguard: %e s wall, %U s user, %S s sys, peak %M KiB" \
    "$bin/trailguard" validate --trail-arn "$arn" --start-time "$start" --end-time "$end" \
    --jobs "${JOBS:-64}" --output json >"$out/ours.json" 2>"$out/ours.err" || true
tail -1 "$out/ours.err"
python3 - "$out/ours.json" <<'PY'
import json, sys
lines = [json.loads(l) for l in open(sys.argv[1])]
s = [l["summary"] for l in lines if "summary" in l][0]
chains = [l["chain"] for l in lines if "chain" in l]
print(f"trailguard: {s['chains']} chains, digests {s['digest_files']}, logs {s['log_files']}, coverage findings {s['coverage_findings']}, valid {s['valid']}")
assert s["valid"] and s["chains"] == len(chains)
PY
total=0; bad=0; n=0
IFS=, read -ra rs <<<"$regions"
all=$((accounts * ${#rs[@]})); limit=${CLI_CHAINS:-$all}
for i in $(seq 0 $((accounts - 1))); do
    account=$(printf '%012d' $((111122223333 + i)))
    for r in "${rs[@]}"; do
        [ "$n" -lt "$limit" ] || break 2
        s=$(date +%s%N)
        aws --region "$r" cloudtrail validate-logs --trail-arn "$arn" --account-id "$account" \
            --start-time "$start" --end-time "$end" >"$out/theirs.out" 2>&1 || true
        e=$(date +%s%N); total=$((total + (e - s) / 1000000)); n=$((n + 1))
        grep -q "digest files valid" "$out/theirs.out" && ! grep -q INVALID "$out/theirs.out" || { bad=$((bad + 1)); tail -3 "$out/theirs.out"; }
    done
done
echo "aws cloudtrail validate-logs: $n runs, ${total} ms in all, $bad not all valid"
if [ "$n" -lt "$all" ]; then
    echo "aws cloudtrail validate-logs, all $all chains (estimate: $n measured, scaled): $((total * all / n)) ms"
fi
curl -s "$url/_standin/requests"; echo
