#!/usr/bin/env bash
# BENCHMARKS.md (a): inflate + SHA-256 + parse throughput of the integrity
# core on 24 log files of 500 records, against `zcat FILES | sha256sum` on
# the same files (best of 5 runs).
set -euo pipefail
cd "$(dirname "$0")/.."
cargo bench -p trailguard-shared --features synth --bench integrity -- --noplot 2>&1 \
  | grep -E "corpus:|^log_files/|time:|thrpt:"
files=(target/bench-logs/*.json.gz)
bytes=$(zcat "${files[@]}" | wc -c)
best=""
for _ in 1 2 3 4 5; do
  s=$(date +%s%N); zcat "${files[@]}" | sha256sum >/dev/null; e=$(date +%s%N)
  t=$(( e - s )); if [ -z "$best" ] || [ "$t" -lt "$best" ]; then best=$t; fi
done
echo "zcat | sha256sum: ${bytes} bytes in $(( best / 1000000 )) ms = $(( bytes * 1000 / best )) MB/s (best of 5)"
