#!/usr/bin/env bash
# Fuzzes every parser that sees outside bytes (fuzz/fuzz_targets: S3 event
# payloads and keys, log files, digest files, CloudWatch Logs payloads with
# the built-in rules and alert rendering, Sigma rule and tuning files) with
# cargo-fuzz (libFuzzer), SECONDS_PER_TARGET each (default 60), starting
# from the repository's own inputs (sample events, built-in rules) plus the
# few seeds that exist nowhere else (fuzz/seeds/<target>) and the local
# corpus.
# A crash leaves its input in fuzz/artifacts/<target>/ and fails the script:
# copy it to tests/hostile/fuzz/<target>/ (replayed by `cargo test`, see
# shared/tests/hostile.rs) once fixed.
# Usage: scripts/fuzz.sh [SECONDS_PER_TARGET] [TARGET...]
set -euo pipefail
cd "$(dirname "$0")/.."
secs=${1:-60}
shift || true
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=(s3_event log_file digest cwlogs sigma_rule)
command -v cargo-fuzz >/dev/null || cargo install --locked cargo-fuzz@0.13.2
# cargo-fuzz needs nightly flags (-Z sanitizer); the stable toolchain
# accepts them with RUSTC_BOOTSTRAP, the only toolchain this project has.
export RUSTC_BOOTSTRAP=1
cargo fuzz build
# Seeds: the files the project already has for each parser.
seeds() {
  case "$1" in
    s3_event) echo events/integrity-validator ;;
    cwlogs) echo events/alert-router/decoded ;;
    sigma_rule) echo shared/rules/builtin ;;
    *) echo "fuzz/seeds/$1" ;;
  esac
}
for t in "${targets[@]}"; do
  mkdir -p "fuzz/corpus/$t"
  echo "== fuzz $t for ${secs}s"
  # Inputs up to 256 KiB; 2 GiB of RSS or 10 s on one input is a failure
  # (a gzip bomb or a regex that does not stay bounded).
  set +e
  cargo fuzz run "$t" "fuzz/corpus/$t" "$(seeds "$t")" -- \
    -max_total_time="$secs" -max_len=262144 -rss_limit_mb=2048 -timeout=10 -print_final_stats=1 \
    >"fuzz/corpus/$t.log" 2>&1
  status=$?
  set -e
  grep -E "^(Done|stat::number_of_executed_units|stat::peak_rss_mb|==[0-9]+==|SUMMARY|thread .* panicked|Test unit written)" \
    "fuzz/corpus/$t.log" || true
  found=$(find "fuzz/artifacts/$t" -type f \( -name 'crash-*' -o -name 'oom-*' -o -name 'timeout-*' -o -name 'leak-*' \) 2>/dev/null)
  if [ "$status" -ne 0 ] || [ -n "$found" ]; then
    echo "fuzz $t: cargo fuzz exited $status; inputs: ${found:-none} (log: fuzz/corpus/$t.log)" >&2
    exit 1
  fi
done
echo "fuzz: no crash, leak, timeout or out-of-memory in ${#targets[@]} target(s), ${secs}s each"
