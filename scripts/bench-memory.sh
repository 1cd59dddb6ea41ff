#!/usr/bin/env bash
# BENCHMARKS.md (c): the integrity validator's handler, with its real AWS
# adapters, on one very large log file (RECORDS records, default 100,000:
# ~125 MiB inflated) and the digest that lists it; prints time and peak RSS.
set -euo pipefail
cd "$(dirname "$0")/.."
python3 -m pip install --quiet --disable-pip-version-check -r tests/emulator/requirements.txt
cargo build --release --quiet -p trailguard-e2e --bins
. scripts/emulator.sh
target/release/trailguard-bench-function prepare --records "${RECORDS:-100000}"
target/release/trailguard-bench-function run
