#!/usr/bin/env bash
# trailguard's main job, locally, in a couple of minutes: the AWS emulator
# stands in for the trail's resources; the three Lambda functions run
# through the real Lambda Runtime API (tests/emulator/lambda_runtime.py)
# on a signed trail that is tampered with, a trail that is stopped and a
# stream of suspicious API calls; every alert that reaches the inbox queue
# is printed. Then the `trailguard` command validates the same trail.
# Exits non-zero if an expected alert or finding is missing.
set -euo pipefail
cd "$(dirname "$0")/.."
python3 -m pip install --quiet --disable-pip-version-check -r tests/emulator/requirements.txt
echo "== building the functions and the command (debug)"
# The same features and targets as scripts/test.sh's `cargo test`: with
# resolver 2 the tests' dev-dependencies (aws-smithy-mocks, the SDK's
# test-util) switch features on deep in the AWS SDK, so a plain `--bins`
# build and the tests' build compiled the whole SDK twice (13 min more on
# 2 cores, issue 17). Building the test targets here too makes the first
# `scripts/test.sh` reuse everything.
cargo build --quiet --locked --workspace --all-features --bins --tests
bin=target/debug
. scripts/emulator.sh
echo "== emulator at $AWS_ENDPOINT_URL"
python3 scripts/story.py
echo
echo "== trailguard validate: the same six hours, as an auditor would check them"
set +e
$bin/trailguard validate --trail-arn arn:aws:cloudtrail:us-east-1:111122223333:trail/main-trail \
  --start-time 2026-01-15T00:00:00Z --end-time 2026-01-15T06:00:00Z 2>&1 | tee /tmp/trailguard-demo.out
status=${PIPESTATUS[0]}
set -e
echo "== exit status $status (1: findings)"
grep -q "INVALID: hash value doesn't match" /tmp/trailguard-demo.out
[ "$status" -eq 1 ]
echo "== the altered log file was found"
echo
echo "== trailguard scan: the alert router's rules over a CloudWatch Logs batch (events/alert-router/cwlogs-data-message.json)"
$bin/trailguard scan --log-bucket trailguard-demo-logs --trail-name main-trail \
  events/alert-router/cwlogs-data-message.json 2>&1 | tee /tmp/trailguard-demo-scan.out
grep -q "CRITICAL  StopLogging .*Guarded Trail Stopped or Deleted" /tmp/trailguard-demo-scan.out
grep -q "CRITICAL  PutBucketPolicy .*Trail Log Bucket" /tmp/trailguard-demo-scan.out
grep -q "HIGH      ConsoleLogin .*Without MFA" /tmp/trailguard-demo-scan.out
if grep -q "DescribeInstances" /tmp/trailguard-demo-scan.out; then
  echo "an ordinary read raised an alert" >&2
  exit 1
fi
echo "== the stopped trail, the opened log bucket and the sign-in without MFA were alerted; the read was not"
