#!/usr/bin/env bash
# BENCHMARKS.md (b), against the stand-in: `trailguard validate` and `aws
# cloudtrail validate-logs` on the 24-hour trail (24 digests, 288 log files
# of 500 records) served by trailguard-standin, which answers from memory
# after LATENCY_MS (default 20) with no per-request work, so the figure is
# the latency and the client's own work, not the server's CPU (moto spends
# about 3.9 ms of CPU per GetObject, serialised). Checks that both print
# the same verdict lines; RUNS (default 5) runs of each, medians printed.
#
#   scripts/bench-validate-standin.sh
#   LATENCY_MS=100 JOBS=64 scripts/bench-validate-standin.sh
set -euo pipefail
cd "$(dirname "$0")/.."
python3 -m pip install --quiet --disable-pip-version-check -r tests/emulator/requirements.txt
cargo build --release --quiet -p trailguard-cli -p trailguard-e2e --bin trailguard --bin trailguard-standin
bin=target/release
out=$(mktemp -d)
"$bin/trailguard-standin" --latency-ms "${LATENCY_MS:-20}" --hours 24 --logs-per-hour 12 --records 500 \
    >"$out/standin.out" 2>"$out/standin.err" &
standin=$!
trap 'kill $standin 2>/dev/null; rm -rf "$out"' EXIT
for _ in $(seq 100); do grep -q listening "$out/standin.out" 2>/dev/null && break; sleep 0.1; done
url=$(awk '/listening/ {print $2}' "$out/standin.out")
export AWS_ENDPOINT_URL="$url" AWS_ACCESS_KEY_ID=standin AWS_SECRET_ACCESS_KEY=standin \
    AWS_REGION=us-east-1 AWS_DEFAULT_REGION=us-east-1 AWS_EC2_METADATA_DISABLED=true \
    AWS_CONFIG_FILE=/dev/null AWS_SHARED_CREDENTIALS_FILE=/dev/null
args=(--trail-arn arn:aws:cloudtrail:us-east-1:111122223333:trail/main-trail
      --start-time 2026-01-15T00:00:00Z --end-time 2026-01-16T00:00:00Z --s3-bucket bench-logs --verbose)
time_it() { local s e; s=$(date +%s%N); "$@" >"$out/run.out" 2>&1 || true; e=$(date +%s%N); echo $(( (e - s) / 1000000 )); }
median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
runs=${RUNS:-5}
ours=(); theirs=()
for _ in $(seq "$runs"); do
    ours+=("$(time_it "$bin/trailguard" validate --jobs "${JOBS:-64}" "${args[@]}")"); cp "$out/run.out" "$out/ours.out"
done
for _ in $(seq "${CLI_RUNS:-1}"); do
    theirs+=("$(time_it aws cloudtrail validate-logs "${args[@]}")"); cp "$out/run.out" "$out/theirs.out"
done
lines() { grep -E $'^(Digest|Log) file\t' "$1" | sort; }
if diff <(lines "$out/ours.out") <(lines "$out/theirs.out") >/dev/null; then same=identical; else same=DIFFERENT; fi
o=$(printf '%s\n' "${ours[@]}" | median); t=$(printf '%s\n' "${theirs[@]}" | median)
echo "files checked: $(lines "$out/ours.out" | wc -l); verdicts: $same"
echo "trailguard validate (--jobs ${JOBS:-64}): ${o} ms (runs: ${ours[*]})"
echo "aws cloudtrail validate-logs:  ${t} ms (runs: ${theirs[*]})"
echo "speed-up: $(awk -v t="$t" -v o="$o" 'BEGIN {printf "%.1f", t / (o > 0 ? o : 1)}')x"
curl -s "$url/_standin/requests"; echo
[ "$same" = identical ]
