#!/usr/bin/env bash
# Every test of trailguard: formatting, lints, the dependency tree (cargo
# deny: licences, duplicate versions, sources), unit, handler, hostile-input
# and end-to-end tests (each end-to-end test starts and stops its own
# emulator), the emulator's own tests and the template's. Installs the
# Python packages the emulator needs and cargo-deny.
set -euo pipefail
cd "$(dirname "$0")/.."
python3 -m pip install --quiet --disable-pip-version-check -r tests/emulator/requirements.txt
cargo fmt --all -- --check
cargo clippy --workspace --all-targets --all-features -- -D warnings
# The pure core without the SDK adapters, as the fuzz targets build it.
cargo check --quiet -p trailguard-shared --no-default-features
command -v cargo-deny >/dev/null || cargo install --locked --quiet cargo-deny@0.20.2
cargo deny --offline check licenses bans sources
cargo test --workspace --all-features
python3 -m pytest -q tests/emulator tests/template
