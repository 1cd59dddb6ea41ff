#!/usr/bin/env bash
# Lints template.yaml the way CI does: cfn-lint, `sam validate --lint` and
# checkov, each from PyPI, installed quietly into .venv-template/ (a
# virtualenv of its own: nothing is added to the repository's Python
# requirements). Exits non-zero when any of the three reports a problem.
#
# checkov must report no failed check. The few checks that do not apply are
# suppressed in template.yaml itself (`Metadata: checkov: skip:`), each with
# its reason, so the reasons are reviewed with the template.
#
# No linter needs AWS: they run with a dummy region and dummy credentials,
# SAM's telemetry and checkov's downloads are off and, when this shell may
# create a network namespace (root, or unprivileged user namespaces), they
# run inside one without a network at all. Only pip talks to PyPI.
#
#   scripts/check-template.sh            # install if needed, then lint
#   TEMPLATE=other.yaml scripts/check-template.sh
set -euo pipefail
cd "$(dirname "$0")/.."

template="${TEMPLATE:-template.yaml}"
venv=.venv-template
# The versions this template was checked with; newer releases add checks,
# so bump these deliberately (and fix or suppress what they find).
packages=(cfn-lint==1.58.0 aws-sam-cli==1.170.0 checkov==3.2.459)

if [ ! -x "$venv/bin/python" ]; then
    python3 -m venv "$venv"
fi
# The virtualenv is no part of the repository (newer Pythons write this
# file themselves; older ones do not).
[ -f "$venv/.gitignore" ] || printf '*\n' >"$venv/.gitignore"
"$venv/bin/python" -m pip install --quiet --disable-pip-version-check "${packages[@]}"

export AWS_DEFAULT_REGION=us-east-1 AWS_REGION=us-east-1
export AWS_ACCESS_KEY_ID=testing AWS_SECRET_ACCESS_KEY=testing
unset AWS_PROFILE AWS_SESSION_TOKEN AWS_ENDPOINT_URL
export AWS_CONFIG_FILE=/dev/null AWS_SHARED_CREDENTIALS_FILE=/dev/null
export SAM_CLI_TELEMETRY=0
export BC_SKIP_MAPPING=TRUE

offline=()
if command -v unshare >/dev/null 2>&1 && unshare -n true 2>/dev/null; then
    offline=(unshare -n)
fi

failed=0
run() {
    local name=$1
    shift
    echo "== $name"
    if ${offline[@]+"${offline[@]}"} "$@"; then
        echo "== $name: passed"
    else
        echo "== $name: FAILED" >&2
        failed=1
    fi
}

run cfn-lint "$venv/bin/cfn-lint" "$template"
# --lint runs cfn-lint through SAM's own translator: no AWS call. (Without
# --lint, sam validate asks CloudFormation to validate the template, which
# needs credentials and the network; it is never run here.)
run "sam validate --lint" "$venv/bin/sam" validate --lint --template "$template" --region us-east-1
run checkov "$venv/bin/checkov" -f "$template" --framework cloudformation --quiet --compact \
    --skip-download

if [ "$failed" -ne 0 ]; then
    echo "check-template: FAILED" >&2
    exit 1
fi
echo "check-template: cfn-lint, sam validate --lint and checkov passed on $template"
