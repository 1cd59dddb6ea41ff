#!/usr/bin/env bash
# BENCHMARKS.md (f): the logging watchdog (release build, real adapters)
# over TRAILS trails (default 50) in the emulator: init time from process
# start to ready, then a pass that repairs (one trail in ten stopped) and
# a quiet pass. LATENCY_MS adds a fixed latency to every emulated request.
set -euo pipefail
cd "$(dirname "$0")/.."
python3 -m pip install --quiet --disable-pip-version-check -r tests/emulator/requirements.txt
cargo build --release --quiet -p trailguard-e2e --bin trailguard-bench-watchdog
. scripts/emulator.sh
bin=target/release/trailguard-bench-watchdog
$bin prepare --trails "${TRAILS:-50}"
topic=$(python3 -c 'import boto3; print(boto3.client("sns").create_topic(Name="bench-watchdog")["TopicArn"])')
if [ -n "${LATENCY_MS:-}" ]; then
  curl -s -X POST "$AWS_ENDPOINT_URL/_trailguard/config" -d "{\"latency_ms\": $LATENCY_MS}" >/dev/null
fi
export TRAILGUARD_SNS_TOPIC_ARN="$topic" TRAILGUARD_STATE_BUCKET=bench-watchdog-state \
  TRAILGUARD_ACCOUNT_ID=123456789012 \
  TRAILGUARD_KMS_KEY_ARN=arn:aws:kms:us-east-1:123456789012:key/11111111-2222-3333-4444-555555555555 \
  TRAILGUARD_CLOUDWATCH_LOGS_GROUP_ARN=arn:aws:logs:us-east-1:123456789012:log-group:trail-logs:* \
  TRAILGUARD_CLOUDWATCH_LOGS_ROLE_ARN=arn:aws:iam::123456789012:role/CloudTrailToLogs RUST_LOG=error
t0=$(date +%s%N)
out=$($bin run)
ready=$(echo "$out" | awk '/^ready_unix_ns/ {print $2}')
echo "process start to ready: $(( (ready - t0) / 1000 )) us"
echo "$out" | grep -v '^ready_unix_ns'
