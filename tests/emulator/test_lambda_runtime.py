"""Tests of the local Lambda Runtime API (lambda_runtime.py) with a tiny
function written in Python that speaks the same protocol as the Rust
lambda_runtime crate: GET next, POST response or error."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap

HERE = os.path.dirname(os.path.abspath(__file__))

FUNCTION = textwrap.dedent('''\
    #!/usr/bin/env python3
    import json, os, urllib.request
    api = "http://" + os.environ["AWS_LAMBDA_RUNTIME_API"] + "/2018-06-01/runtime/invocation"
    while True:
        with urllib.request.urlopen(api + "/next") as r:
            rid = r.headers["Lambda-Runtime-Aws-Request-Id"]
            arn = r.headers["Lambda-Runtime-Invoked-Function-Arn"]
            event = json.load(r)
        if event.get("fail"):
            path, body = "/error", {"errorType": "Boom", "errorMessage": "asked to fail"}
        elif event.get("exit"):
            raise SystemExit(3)
        else:
            path, body = "/response", {"echo": event, "arn": arn, "name": os.environ["AWS_LAMBDA_FUNCTION_NAME"],
                                        "extra": os.environ.get("EXTRA")}
        req = urllib.request.Request(api + "/" + rid + path, data=json.dumps(body).encode(), method="POST")
        urllib.request.urlopen(req).read()
''')


def run(tmp_path, events, *extra):
    fn = tmp_path / "fn.py"
    fn.write_text(FUNCTION)
    fn.chmod(0o755)
    files = []
    for i, e in enumerate(events):
        f = tmp_path / f"e{i}.json"
        f.write_text(json.dumps(e))
        files += ["--event", str(f)]
    out = subprocess.run(
        [sys.executable, os.path.join(HERE, "lambda_runtime.py"), "--binary", str(fn), "--name", "demo",
         "--account", "123456789012", "--timeout", "20", *files, *extra],
        capture_output=True, text=True, timeout=60,
    )
    return out.returncode, [json.loads(line) for line in out.stdout.splitlines() if line.strip()]


def test_invocations_in_order_with_context_and_environment(tmp_path):
    code, results = run(tmp_path, [{"n": 1}, {"n": 2}], "--env", "EXTRA=yes")
    assert code == 0
    assert [r["response"]["echo"]["n"] for r in results] == [1, 2]
    assert results[0]["response"]["arn"].endswith(":123456789012:function:demo")
    assert results[0]["response"]["name"] == "demo"
    assert results[0]["response"]["extra"] == "yes"


def test_an_error_response_fails_the_run_and_the_next_event_still_runs(tmp_path):
    code, results = run(tmp_path, [{"fail": True}, {"n": 3}])
    assert code == 1
    assert results[0]["ok"] is False and results[0]["error"]["errorType"] == "Boom"
    assert results[1]["ok"] is True


def test_a_crashing_function_is_reported(tmp_path):
    code, results = run(tmp_path, [{"exit": True}, {"n": 4}])
    assert code == 2
    assert results[0]["ok"] is False
