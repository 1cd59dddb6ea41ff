#!/usr/bin/env bash
# Builds the three functions as SAM deploys them: cargo-lambda (from PyPI,
# with zig) under `sam build`, x86_64 (this machine has no aarch64 Rust
# target; deployments default to arm64), into BUILD_DIR (default
# /tmp/trailguard-sam-build); then runs each built bootstrap once through
# the local Lambda Runtime API as a smoke test.
# Takes about 3 minutes with a warm target/ and 6 on a fresh machine.
set -euo pipefail
cd "$(dirname "$0")/.."
venv=.venv-template
[ -x "$venv/bin/python" ] || python3 -m venv "$venv"
[ -f "$venv/.gitignore" ] || printf '*\n' >"$venv/.gitignore"
"$venv/bin/python" -m pip install --quiet --disable-pip-version-check aws-sam-cli==1.170.0 cargo-lambda==1.9.2
export PATH="$PWD/$venv/bin:$PATH"
export SAM_CLI_TELEMETRY=0 SAM_CLI_BETA_RUST_CARGO_LAMBDA=1
export AWS_DEFAULT_REGION=us-east-1 AWS_REGION=us-east-1 AWS_ACCESS_KEY_ID=testing AWS_SECRET_ACCESS_KEY=testing
build="${BUILD_DIR:-/tmp/trailguard-sam-build}"
sam build --parameter-overrides Architecture=x86_64 --build-dir "$build"
for fn in IntegrityValidatorFunction AlertRouterFunction LoggingWatchdogFunction; do
  [ -x "$build/$fn/bootstrap" ] || { echo "check-build: no $build/$fn/bootstrap" >&2; exit 1; }
done
# Smoke: each bootstrap answers through the Runtime API.
python3 tests/emulator/lambda_runtime.py --binary "$build/AlertRouterFunction/bootstrap" --name alert-router \
  --event events/cwlogs-control-message.json
python3 tests/emulator/lambda_runtime.py --binary "$build/IntegrityValidatorFunction/bootstrap" --name integrity-validator \
  --event events/s3-test-event.json
python3 tests/emulator/lambda_runtime.py --binary "$build/LoggingWatchdogFunction/bootstrap" --name logging-watchdog \
  --event events/scheduled-event.json --env TRAILGUARD_DRY_RUN=true --env AWS_ENDPOINT_URL=http://127.0.0.1:9 \
  --env AWS_MAX_ATTEMPTS=1 --timeout 30 || [ $? -eq 1 ]
echo "check-build: sam build (x86_64) made the three bootstraps, and each ran under the Runtime API"
