#!/usr/bin/env bash
# BENCHMARKS.md (d) and (e): the alert router's decode + parse + rules
# throughput (criterion, shared/benches/detect.rs), then the function as
# Lambda runs it (release build, real SNS adapter, the emulator): cold-start
# time from process start to ready with the rules loaded, the largest batch,
# and peak memory. The SigmaHQ rules join the built-ins when
# SIGMA_DIR (default ../shared/sigma/aws-cloudtrail) exists.
set -euo pipefail
cd "$(dirname "$0")/.."
python3 -m pip install --quiet --disable-pip-version-check -r tests/emulator/requirements.txt
sigma="${SIGMA_DIR:-../shared/sigma/aws-cloudtrail}"
if [ -d "$sigma" ]; then export TRAILGUARD_SIGMA_DIR="$(cd "$sigma" && pwd)"; fi
if [ "${SKIP_CRITERION:-0}" != 1 ]; then
  cargo bench -p trailguard-shared --features synth --bench detect -- --noplot 2>&1 \
    | grep -E "^batch:|^router_batch/|time:|thrpt:" | grep -v "^Benchmarking"
fi
cargo build --release --quiet -p trailguard-e2e --bin trailguard-bench-router
. scripts/emulator.sh
topic=$(python3 - <<'PY'
import boto3
print(boto3.client("sns").create_topic(Name="bench-alerts")["TopicArn"])
PY
)
export TRAILGUARD_SNS_TOPIC_ARN="$topic" TRAILGUARD_LOG_BUCKET=acme-cloudtrail-logs \
  TRAILGUARD_TRAIL_NAME=main-trail RUST_LOG=error
for i in 1 2 3; do
  t0=$(date +%s%N)
  out=$(target/release/trailguard-bench-router)
  ready=$(echo "$out" | awk '/^ready_unix_ns/ {print $2}')
  echo "run $i: process start to ready: $(( (ready - t0) / 1000 )) us"
  echo "$out" | grep -v '^ready_unix_ns'
done
