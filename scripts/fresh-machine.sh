#!/usr/bin/env bash
# README's two commands as a newcomer meets them: a clone of the committed
# main in a temporary folder, with an empty cargo registry, no cargo-installed
# tools and an empty Python environment (only the Rust toolchain, the system
# Python and Debian's packages are kept). Prints each command's wall time and
# exit status, and exits non-zero if either failed.
#
#   scripts/fresh-machine.sh              # demo, then tests (README's order)
#   KEEP=1 scripts/fresh-machine.sh       # keep the temporary folder
#   REV=HEAD~1 scripts/fresh-machine.sh   # another commit
#   CI=1 scripts/fresh-machine.sh         # .ci/run's steps, each timed
#                                         # (SIGMA_DIR passed through)
#
# What stays warm, and why: rustup's toolchain (RUSTUP_HOME), which a fresh
# machine of this project's kind already has; Debian's packages, which the
# scripts install themselves where they need any. Everything else a first
# run needs (crates, cargo-deny, moto, the linters) is downloaded again,
# which is the point: a step that only works on a warm cache fails here.
set -euo pipefail
repo="$(cd "$(dirname "$0")/.." && pwd)"
rev="${REV:-HEAD}"
tmp="$(mktemp -d /tmp/trailguard-fresh.XXXXXX)"
cleanup() { [ -n "${KEEP:-}" ] && echo "kept $tmp" || rm -rf "$tmp"; }
trap cleanup EXIT

git clone --quiet --no-local "$repo" "$tmp/repo"
git -C "$tmp/repo" checkout --quiet --detach "$(git -C "$repo" rev-parse "$rev")"

# Cargo: a registry and tool folder of its own. The rustup proxies (cargo,
# rustc, rustfmt, clippy) are reached through a folder holding only them, so
# no tool installed in ~/.cargo/bin (cargo-deny, cargo-lambda...) is seen.
export CARGO_HOME="$tmp/cargo-home"
mkdir -p "$CARGO_HOME/bin" "$tmp/toolchain-bin"
rustup_bin="$(dirname "$(command -v rustup)")"
for t in cargo rustc rustup rustfmt cargo-fmt cargo-clippy clippy-driver rustdoc; do
  [ -e "$rustup_bin/$t" ] && ln -s "$rustup_bin/$t" "$tmp/toolchain-bin/$t"
done
export RUSTUP_HOME="${RUSTUP_HOME:-$HOME/.rustup}"
# Python: an empty virtualenv first on PATH, so `python3 -m pip install`
# starts from nothing, as on a machine that never ran the project.
python3 -m venv "$tmp/venv"
export PATH="$tmp/venv/bin:$CARGO_HOME/bin:$tmp/toolchain-bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
unset CARGO_TARGET_DIR VIRTUAL_ENV PYTHONPATH PYTHONUSERBASE
export PIP_NO_CACHE_DIR=1 PYTHONNOUSERSITE=1

cd "$tmp/repo"
echo "fresh-machine: $(git rev-parse --short HEAD) in $tmp/repo"
statuses=()
run() {
  local start end rc
  start=$(date +%s)
  set +e
  bash "$@" >"$tmp/$(basename "$1").log" 2>&1
  rc=$?
  set -e
  end=$(date +%s)
  printf 'fresh-machine: %-16s exit %d after %dm%02ds (log: %s)\n' "$1" "$rc" $(((end - start) / 60)) $(((end - start) % 60)) "$tmp/$(basename "$1").log"
  [ "$rc" -eq 0 ] || { KEEP=1; tail -n 30 "$tmp/$(basename "$1").log"; }
  statuses+=("$rc")
}
if [ -n "${CI:-}" ]; then
  # .ci/run's steps in its order, each timed: CI must stay well under an
  # hour on a fresh machine.
  for step in test check-sigmahq check-template check-build demo; do
    run "scripts/$step.sh"
  done
else
  run scripts/demo.sh
  run scripts/test.sh
fi
for rc in "${statuses[@]}"; do [ "$rc" -eq 0 ] || exit 1; done
