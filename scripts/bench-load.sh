#!/usr/bin/env bash
# BENCHMARKS.md (g): load, each with its memory.
#  1. The integrity validator's handler (real adapters, emulator) on a
#     digest listing FILES log files (default 1,000, RECORDS records each,
#     default 500): time and peak RSS.
#  2. `trailguard validate` over DAYS days (default 30) of a busy trail: 12
#     log files an hour of 100 records, 24 digests a day: time and peak RSS
#     (GNU time).
#  3. The alert-router function on a stream of BATCHES (default 20) full
#     1 MiB CloudWatch Logs batches: time per batch and peak RSS.
set -euo pipefail
cd "$(dirname "$0")/.."
python3 -m pip install --quiet --disable-pip-version-check -r tests/emulator/requirements.txt
cargo build --release --quiet -p trailguard-cli -p trailguard-e2e --bins
bin=target/release
[ -x /usr/bin/time ] || { echo "bench-load: GNU time is needed (Debian: apt-get install time)" >&2; exit 2; }
. scripts/emulator.sh
files=${FILES:-1000} days=${DAYS:-30}

echo "== 1. the validator on a digest listing $files log files"
$bin/trailguard-bench-function prepare --files "$files" --records "${RECORDS:-500}"
$bin/trailguard-bench-function run

echo "== 2. trailguard validate over $days days"
t0=$(date +%s)
$bin/trailguard-synth --bucket load-logs --regions us-east-1 --hours $((days * 24)) --logs-per-hour 12 --records 100 >/dev/null
echo "(trail written in $(( $(date +%s) - t0 )) s)"
end=$(date -u -d "2026-01-15T00:00:00Z + $days days" +%Y-%m-%dT%H:%M:%SZ)
out=$(mktemp)
status=0
/usr/bin/time -f "validate: %e s, peak RSS %M KiB" $bin/trailguard validate \
  --trail-arn arn:aws:cloudtrail:us-east-1:111122223333:trail/main-trail \
  --start-time 2026-01-15T00:00:00Z --end-time "$end" --s3-bucket load-logs >"$out" 2>"$out.err" || status=$?
tail -4 "$out"
grep -E "^validate:" "$out.err"
rm -f "$out" "$out.err"
[ "$status" -eq 0 ] || { echo "trailguard validate exited $status" >&2; exit 1; }

echo "== 3. the alert router on a stream of ${BATCHES:-20} full batches"
topic=$(python3 -c 'import boto3; print(boto3.client("sns").create_topic(Name="load-alerts")["TopicArn"])')
TRAILGUARD_SNS_TOPIC_ARN="$topic" TRAILGUARD_LOG_BUCKET=acme-cloudtrail-logs TRAILGUARD_TRAIL_NAME=main-trail \
  RUST_LOG=error BATCHES="${BATCHES:-20}" $bin/trailguard-bench-router | grep -v '^ready_unix_ns'
