#!/usr/bin/env bash
# BENCHMARKS.md (b): `trailguard validate` against `aws cloudtrail
# validate-logs` on one 24-hour trail (24 digests, 288 log files of 500
# records) served by the emulator with 20 ms added to every request, as a
# stand-in for S3's round trip. Also checks that both give the same verdicts.
set -euo pipefail
cd "$(dirname "$0")/.."
python3 -m pip install --quiet --disable-pip-version-check -r tests/emulator/requirements.txt
cargo build --release --quiet -p trailguard-cli -p trailguard-e2e --bins
bin=target/release
out=$(mktemp -d)
. scripts/emulator.sh --latency-ms "${LATENCY_MS:-20}"
$bin/trailguard-synth --bucket bench-logs --regions us-east-1 --hours 24 --logs-per-hour 12 --records 500 >/dev/null
args=(--trail-arn arn:aws:cloudtrail:us-east-1:111122223333:trail/main-trail
      --start-time 2026-01-15T00:00:00Z --end-time 2026-01-16T00:00:00Z --s3-bucket bench-logs --verbose)
time_it() { local s e; s=$(date +%s%N); "$@" >"$out/run.out" 2>&1 || true; e=$(date +%s%N); echo $(( (e - s) / 1000000 )); }
ours=$(time_it $bin/trailguard validate "${args[@]}"); cp "$out/run.out" "$out/ours.out"
theirs=$(time_it aws cloudtrail validate-logs "${args[@]}"); cp "$out/run.out" "$out/theirs.out"
lines() { grep -E $'^(Digest|Log) file\t' "$1" | sort; }
if diff <(lines "$out/ours.out") <(lines "$out/theirs.out") >/dev/null; then same=identical; else same=DIFFERENT; fi
n=$(lines "$out/ours.out" | wc -l)
echo "files checked: $n; verdicts: $same"
tail -3 "$out/ours.out"
echo "trailguard validate:           ${ours} ms"
echo "aws cloudtrail validate-logs:  ${theirs} ms"
echo "speed-up: $(( theirs / (ours > 0 ? ours : 1) ))x"
rm -rf "$out"
[ "$same" = identical ]
