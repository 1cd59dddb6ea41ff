#!/usr/bin/env bash
# Every test of trailguard: formatting, lints, unit, handler and end-to-end
# tests (each end-to-end test starts and stops its own emulator), and the
# emulator's own tests. Installs the Python packages the emulator needs.
set -euo pipefail
cd "$(dirname "$0")/.."
python3 -m pip install --quiet --disable-pip-version-check -r tests/emulator/requirements.txt
cargo fmt --all -- --check
cargo clippy --workspace --all-targets --all-features -- -D warnings
cargo test --workspace --all-features
python3 -m pytest -q tests/emulator tests/template
