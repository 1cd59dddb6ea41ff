#!/usr/bin/env bash
# The rule engine against its compatibility target, the public SigmaHQ
# CloudTrail rules, when they are available (never copied into this
# repository): SIGMA_DIR, else ../shared/sigma/aws-cloudtrail beside the
# work tree. Every rule must load (`trailguard rules check`), and the
# engine's SigmaHQ tests (each rule on an event that fires it and a near
# miss) run against that copy. Skips, saying so, when it is absent.
set -euo pipefail
cd "$(dirname "$0")/.."
dir="${SIGMA_DIR:-../shared/sigma/aws-cloudtrail}"
if [ ! -d "$dir" ]; then
    echo "check-sigmahq: $dir not found; skipped"
    exit 0
fi
dir="$(cd "$dir" && pwd)"
count=$(find "$dir" -name '*.yml' | wc -l)
# The workspace's features and targets, as scripts/test.sh and the demo
# build them: a `-p` build resolves the SDK's features differently and
# recompiled most of it (minutes on 2 cores in CI).
cargo build --quiet --locked --workspace --all-features --bins --tests
# All SigmaHQ rules together with the built-ins, placeholders defined.
target/debug/trailguard rules check --log-bucket logs --trail-name main --kms-key \
    arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab \
    --stack-name trailguard --log-group /aws/cloudtrail/trailguard \
    "$dir" shared/rules/builtin >/tmp/trailguard-sigmahq-check.txt
ok=$(grep -c '^ok ' /tmp/trailguard-sigmahq-check.txt)
builtin=$(find shared/rules/builtin -name '*.yml' | wc -l)
if [ "$ok" -ne $((count + builtin)) ]; then
    cat /tmp/trailguard-sigmahq-check.txt
    echo "check-sigmahq: $ok of $((count + builtin)) rules loaded" >&2
    exit 1
fi
echo "check-sigmahq: all $count SigmaHQ rules and $builtin built-ins load, no id clash"
TRAILGUARD_SIGMA_DIR="$dir" cargo test --quiet --locked --workspace --all-features --lib -- detect:: sigmahq 2>&1 | tail -n 3
