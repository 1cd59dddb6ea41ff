#!/usr/bin/env bash
# trailguard's main job, locally: a signed synthetic trail in the AWS
# emulator, tampered with, then `trailguard validate` over it. Exits non-zero
# unless trailguard finds exactly the tampering.
set -euo pipefail
cd "$(dirname "$0")/.."
python3 -m pip install --quiet --disable-pip-version-check -r tests/emulator/requirements.txt
cargo build --quiet -p trailguard-cli -p trailguard-e2e --bins
bin=target/debug
. scripts/emulator.sh
echo "== emulator at $AWS_ENDPOINT_URL"
echo "== writing six hours of a signed trail, then tampering with it"
$bin/trailguard-synth --hours 6 --tamper modify-log --tamper delete-digest
echo
echo "== trailguard validate"
set +e
$bin/trailguard validate --trail-arn arn:aws:cloudtrail:us-east-1:111122223333:trail/main-trail \
  --start-time 2026-01-15T00:00:00Z --end-time 2026-01-15T06:00:00Z 2>&1 | tee /tmp/trailguard-demo.out
status=${PIPESTATUS[0]}
set -e
echo "== exit status $status (1: findings)"
grep -q "INVALID: hash value doesn't match" /tmp/trailguard-demo.out
grep -q "Digest file.*INVALID: not found" /tmp/trailguard-demo.out
[ "$status" -eq 1 ]
echo "== the modified log file and the deleted digest were both found"
echo
echo "== trailguard scan: the alert router's rules over a CloudWatch Logs batch (events/cwlogs-data-message.json)"
$bin/trailguard scan --log-bucket trailguard-demo-logs --trail-name main-trail \
  events/cwlogs-data-message.json 2>&1 | tee /tmp/trailguard-demo-scan.out
grep -q "CRITICAL  StopLogging .*Guarded Trail Stopped or Deleted" /tmp/trailguard-demo-scan.out
grep -q "CRITICAL  PutBucketPolicy .*Trail Log Bucket" /tmp/trailguard-demo-scan.out
grep -q "HIGH      ConsoleLogin .*Without MFA" /tmp/trailguard-demo-scan.out
if grep -q "DescribeInstances" /tmp/trailguard-demo-scan.out; then
  echo "an ordinary read raised an alert" >&2
  exit 1
fi
echo "== the stopped trail, the opened log bucket and the sign-in without MFA were alerted; the read was not"
