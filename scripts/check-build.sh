#!/usr/bin/env bash
# Builds the three functions as SAM deploys them: cargo-lambda (from PyPI,
# with zig) under `sam build`, x86_64 (this machine has no aarch64 Rust
# target; deployments default to arm64), into BUILD_DIR (default
# /tmp/trailguard-sam-build); then runs each built bootstrap once through
# the local Lambda Runtime API against the emulator as a smoke test.
set -euo pipefail
cd "$(dirname "$0")/.."
venv=.venv-template
[ -x "$venv/bin/python" ] || python3 -m venv "$venv"
[ -f "$venv/.gitignore" ] || printf '*\n' >"$venv/.gitignore"
"$venv/bin/python" -m pip install --quiet --disable-pip-version-check aws-sam-cli==1.170.0 cargo-lambda==1.9.2
export PATH="$PWD/$venv/bin:$PATH"
export SAM_CLI_TELEMETRY=0 SAM_CLI_BETA_RUST_CARGO_LAMBDA=1
export AWS_DEFAULT_REGION=us-east-1 AWS_REGION=us-east-1 AWS_ACCESS_KEY_ID=testing AWS_SECRET_ACCESS_KEY=testing
# In CI (.ci/run sets CI) the bootstraps are compiled without LTO, in 16
# codegen units, at opt-level 1: this step checks that SAM and cargo-lambda
# package the three functions and that each answers the Runtime API, not the
# optimiser, and the release profile as deployed (thin LTO, opt-level 3)
# cost about 14 minutes of CI's hour on 2 cores. FULL_RELEASE=1 builds
# exactly as `sam build` deploys; the benchmarks always do.
if [ -n "${CI:-}" ] && [ -z "${FULL_RELEASE:-}" ]; then
  export CARGO_PROFILE_RELEASE_LTO=false CARGO_PROFILE_RELEASE_CODEGEN_UNITS=16 CARGO_PROFILE_RELEASE_OPT_LEVEL=1
fi
build="${BUILD_DIR:-/tmp/trailguard-sam-build}"
sam build --parameter-overrides Architecture=x86_64 --build-dir "$build"
for fn in IntegrityValidatorFunction AlertRouterFunction LoggingWatchdogFunction; do
  [ -x "$build/$fn/bootstrap" ] || { echo "check-build: no $build/$fn/bootstrap" >&2; exit 1; }
done
# Smoke: each bootstrap runs under the Runtime API against the emulator and
# answers its sample event as the debug build does.
python3 -m pip install --quiet --disable-pip-version-check -r tests/emulator/requirements.txt
. scripts/emulator.sh
topic=$(python3 -c 'import boto3; print(boto3.client("sns").create_topic(Name="check-build")["TopicArn"])')
run() { python3 tests/emulator/lambda_runtime.py --binary "$build/$1/bootstrap" --name "$2" --account 123456789012 "${@:3}"; }
out=$(run AlertRouterFunction alert-router --event events/alert-router/cwlogs-data-message.json \
  --env TRAILGUARD_SNS_TOPIC_ARN="$topic" --env TRAILGUARD_LOG_BUCKET=trailguard-demo-logs --env TRAILGUARD_TRAIL_NAME=main-trail) ||
  { echo "$out"; echo "check-build: alert-router failed" >&2; exit 1; }
echo "$out"
echo "$out" | grep -q '"alerts": 5' || { echo "check-build: alert-router did not raise the 5 alerts" >&2; exit 1; }
run IntegrityValidatorFunction integrity-validator --event events/integrity-validator/s3-test-event.json
out=$(run LoggingWatchdogFunction logging-watchdog --event events/logging-watchdog/direct-dry-run.json) ||
  { echo "$out"; echo "check-build: logging-watchdog failed" >&2; exit 1; }
echo "$out"
echo "$out" | grep -q '"dryRun": true' || { echo "check-build: logging-watchdog did not run its pass" >&2; exit 1; }
echo "check-build: sam build (x86_64) made the three bootstraps, and each answered its sample event under the Runtime API"
