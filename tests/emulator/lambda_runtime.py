#!/usr/bin/env python3
"""A local AWS Lambda Runtime API, to run trailguard's function binaries as
Lambda runs them: the binary is started with ``AWS_LAMBDA_RUNTIME_API``
pointing here, asks for work with ``GET /2018-06-01/runtime/invocation/next``
and answers with ``POST .../{request_id}/response`` or ``.../error``,
through the real ``lambda_runtime`` crate, exactly as in Lambda.

Used by ``scripts/demo.sh`` (the local end-to-end run) and its tests; it
does what ``cargo lambda watch`` + ``cargo lambda invoke`` do, without
rebuilding the functions and without leaving loopback.

Usage::

    python3 tests/emulator/lambda_runtime.py --binary target/debug/alert-router \\
        --name alert-router --event events/alert-router/cwlogs-data-message.json [--event ...] \\
        [--env KEY=VALUE ...] [--timeout 60]

Each event is invoked in order; every response is printed as one JSON
line ``{"event": FILE, "ok": bool, "response" | "error": ...}``. Exits 0
when every invocation succeeded, 1 when one returned an error (as Lambda
would retry it), 2 when the function could not be run.
"""

from __future__ import annotations

import argparse
import json
import os
import queue
import subprocess
import sys
import threading
import time
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

PREFIX = "/2018-06-01/runtime"


class RuntimeApi:
    """The Runtime API's invocation endpoints over one in-process queue."""

    def __init__(self, function_arn: str, deadline_s: float):
        self.function_arn = function_arn
        self.deadline_s = deadline_s
        self.pending: "queue.Queue[tuple[str, bytes]]" = queue.Queue()
        self.results: dict[str, "queue.Queue[tuple[bool, object]]"] = {}
        self.init_error: object | None = None
        api = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):  # quiet
                pass

            def _send(self, status: int, body: bytes = b"", headers=None):
                self.send_response(status)
                for k, v in (headers or {}).items():
                    self.send_header(k, v)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def do_GET(self):
                if self.path != f"{PREFIX}/invocation/next":
                    return self._send(404)
                request_id, payload = api.pending.get()
                deadline = int((time.time() + api.deadline_s) * 1000)
                self._send(200, payload, {
                    "Content-Type": "application/json",
                    "Lambda-Runtime-Aws-Request-Id": request_id,
                    "Lambda-Runtime-Deadline-Ms": str(deadline),
                    "Lambda-Runtime-Invoked-Function-Arn": api.function_arn,
                    "Lambda-Runtime-Trace-Id": f"Root=1-{uuid.uuid4().hex[:8]}-{uuid.uuid4().hex[:24]};Sampled=0",
                })

            def do_POST(self):
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                if self.path == f"{PREFIX}/init/error":
                    api.init_error = body.decode("utf-8", "replace")
                    for q in api.results.values():
                        q.put((False, api.init_error))
                    return self._send(202)
                parts = self.path[len(PREFIX):].strip("/").split("/")
                if len(parts) == 3 and parts[0] == "invocation" and parts[2] in ("response", "error"):
                    q = api.results.get(parts[1])
                    if q is None:
                        return self._send(400)
                    try:
                        value = json.loads(body or b"null")
                    except ValueError:
                        value = body.decode("utf-8", "replace")
                    q.put((parts[2] == "response", value))
                    return self._send(202)
                return self._send(404)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.server.server_address[1]
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def invoke(self, payload: bytes, timeout: float, alive=lambda: True) -> tuple[bool, object]:
        request_id = str(uuid.uuid4())
        self.results[request_id] = queue.Queue()
        self.pending.put((request_id, payload))
        end = time.time() + timeout
        while time.time() < end:
            try:
                return self.results[request_id].get(timeout=0.1)
            except queue.Empty:
                if not alive():
                    return False, "the function exited"
        return False, f"timed out after {timeout} s"

    def close(self):
        self.server.shutdown()


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--binary", required=True)
    p.add_argument("--name", required=True, help="the function name")
    p.add_argument("--event", action="append", default=[], help="event file (repeatable), '-' for stdin lines")
    p.add_argument("--env", action="append", default=[], help="KEY=VALUE for the function")
    p.add_argument("--timeout", type=float, default=60.0, help="seconds per invocation")
    p.add_argument("--account", default="111122223333")
    args = p.parse_args(argv)

    region = os.environ.get("AWS_REGION") or os.environ.get("AWS_DEFAULT_REGION") or "us-east-1"
    arn = f"arn:aws:lambda:{region}:{args.account}:function:{args.name}"
    api = RuntimeApi(arn, args.timeout)
    env = dict(os.environ)
    env.update({
        "AWS_LAMBDA_RUNTIME_API": f"127.0.0.1:{api.port}",
        "AWS_LAMBDA_FUNCTION_NAME": args.name,
        "AWS_LAMBDA_FUNCTION_VERSION": "$LATEST",
        "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": "256",
        "AWS_LAMBDA_LOG_GROUP_NAME": f"/aws/lambda/{args.name}",
        "AWS_LAMBDA_LOG_STREAM_NAME": "local",
        # template.yaml's LoggingConfig: LogFormat JSON.
        "AWS_LAMBDA_LOG_FORMAT": "JSON",
        "AWS_REGION": region,
    })
    for kv in args.env:
        k, _, v = kv.partition("=")
        env[k] = v
    log_path = os.environ.get("TRAILGUARD_FUNCTION_LOG", os.devnull)
    with open(log_path, "ab") as log:
        try:
            proc = subprocess.Popen([args.binary], env=env, stdout=log, stderr=log)
        except OSError as e:
            print(f"lambda_runtime: cannot start {args.binary}: {e}", file=sys.stderr)
            return 2
        status = 0
        try:
            payloads = []
            for name in args.event:
                if name == "-":
                    payloads += [("stdin", line.encode()) for line in sys.stdin if line.strip()]
                else:
                    with open(name, "rb") as f:
                        payloads.append((name, f.read()))
            for name, payload in payloads:
                ok, value = api.invoke(payload, args.timeout, lambda: proc.poll() is None)
                if proc.poll() is not None and not ok and api.init_error is None:
                    value = f"the function exited with status {proc.returncode}"
                print(json.dumps({"event": name, "ok": ok, ("response" if ok else "error"): value}), flush=True)
                if not ok:
                    status = 1
                if api.init_error is not None or proc.poll() is not None:
                    return 2
        finally:
            proc.terminate()
            try:
                proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                proc.kill()
            api.close()
    return status


if __name__ == "__main__":
    sys.exit(main())
