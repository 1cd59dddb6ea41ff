"""The backfill end to end: template.yaml's state machine definition, run by
asl.py against the emulator, its three steps answered by the integrity
validator's binary through the Lambda Runtime API (lambda_runtime.py), as
Step Functions would invoke it.

A two-region signed trail over two days is written by trailguard-synth;
one log file of the second day is altered. The backfill must plan 2 chains
x 2 days, check every chunk, keep every result in the state bucket, find
the altered file and publish one summary. With one chunk's S3 reads
failing for good, the summary says the backfill is incomplete and names the
chunk, and the execution fails (never "proven").

Needs the debug binaries (scripts/test.sh builds them before pytest).
"""

from __future__ import annotations

import gzip
import json
import os
import pathlib
import re
import subprocess
import sys
import urllib.request

import boto3
import pytest
import yaml

HERE = pathlib.Path(__file__).resolve().parent
ROOT = HERE.parents[1]
BIN = ROOT / "target" / "debug"
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(ROOT / "tests" / "template"))

import asl  # noqa: E402
import lambda_runtime  # noqa: E402
from test_template import CfnLoader  # noqa: E402

ACCOUNT = "123456789012"
REGION = "us-east-1"
LOGS = "trailguard-demo-logs"
STATE = "trailguard-backfill-state"
TRAIL_ARN = "arn:aws:cloudtrail:us-east-1:111122223333:trail/main-trail"
VALIDATOR_ARN = f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:trailguard-integrity-validator"
MACHINE_ARN = f"arn:aws:states:{REGION}:{ACCOUNT}:stateMachine:trailguard-backfill"


def definition(subs: dict[str, str]) -> dict:
    """The deployed definition: template.yaml's, with its
    DefinitionSubstitutions applied as CloudFormation does (``${Name}``)."""
    template = yaml.load((ROOT / "template.yaml").read_text(), Loader=CfnLoader)
    props = template["Resources"]["BackfillStateMachine"]["Properties"]
    text = json.dumps(props["Definition"])
    used = set(re.findall(r"\$\{([A-Za-z0-9_]+)\}", text))
    assert used == set(props["DefinitionSubstitutions"]), "every placeholder substituted, every substitution used"
    assert used <= set(subs), used - set(subs)
    for k, v in subs.items():
        text = text.replace("${" + k + "}", v)
    return json.loads(text)


def test_the_definitions_states_all_lead_somewhere():
    d = definition({k: "x" for k in ["ValidatorArn", "StateBucket", "LogBucket", "TrailArn", "OrganizationId",
                                     "Concurrency"]})

    def check(machine: dict) -> None:
        states = machine["States"]
        assert machine["StartAt"] in states
        targets = set()
        for s in states.values():
            targets |= {s[k] for k in ("Next", "Default") if k in s}
            targets |= {c["Next"] for c in s.get("Choices", []) + s.get("Catch", [])}
            if s["Type"] == "Map":
                check(s["ItemProcessor"])
        assert targets <= set(states), targets - set(states)
        assert set(states) - targets - {machine["StartAt"]} == set(), "unreachable states"

    check(d)


@pytest.fixture(scope="module")
def emulator():
    if not (BIN / "integrity-validator").exists() or not (BIN / "trailguard-synth").exists():
        pytest.fail("build the debug binaries first: cargo build --workspace --all-features --bins")
    proc = subprocess.Popen([sys.executable, str(HERE / "server.py"), "--host", "127.0.0.1", "--port", "0"],
                            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    line = proc.stdout.readline()
    m = re.fullmatch(r"READY (http://127\.0\.0\.1:\d+)\n", line)
    assert m, line
    url = m.group(1)
    env = {"AWS_ENDPOINT_URL": url, "AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing",
           "AWS_REGION": REGION, "AWS_DEFAULT_REGION": REGION, "AWS_EC2_METADATA_DISABLED": "true",
           "AWS_CONFIG_FILE": "/dev/null", "AWS_SHARED_CREDENTIALS_FILE": "/dev/null"}
    old = {k: os.environ.get(k) for k in env}
    os.environ.update(env)
    try:
        yield url
    finally:
        proc.terminate()
        proc.wait(timeout=10)
        for k, v in old.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v


def control(url: str, method: str, path: str, body: dict | None = None) -> dict:
    data = json.dumps(body or {}).encode() if method != "GET" else None
    req = urllib.request.Request(f"{url}/_trailguard/{path}", data=data, method=method)
    with urllib.request.urlopen(req, timeout=30) as r:
        return json.load(r)


class Validator:
    """The integrity validator's binary under the Runtime API, invoked as
    the state machine's Task states invoke it."""

    def __init__(self, topic: str):
        self.api = lambda_runtime.RuntimeApi(VALIDATOR_ARN, 120)
        env = {**os.environ,
               "AWS_LAMBDA_RUNTIME_API": f"127.0.0.1:{self.api.port}",
               "AWS_LAMBDA_FUNCTION_NAME": "trailguard-integrity-validator",
               "AWS_LAMBDA_FUNCTION_VERSION": "$LATEST", "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": "512",
               "AWS_LAMBDA_LOG_FORMAT": "JSON", "AWS_LAMBDA_LOG_GROUP_NAME": "/aws/lambda/v",
               "AWS_LAMBDA_LOG_STREAM_NAME": "local",
               "TRAILGUARD_SNS_TOPIC_ARN": topic, "TRAILGUARD_TRAIL_NAME": "main-trail"}
        self.log = open(os.environ.get("TMPDIR", "/tmp") + "/trailguard-backfill-flow.log", "ab")
        self.proc = subprocess.Popen([str(BIN / "integrity-validator")], env=env, stdout=self.log,
                                     stderr=self.log)
        self.calls: list[str] = []

    def invoke(self, function: str, payload: dict):
        assert function == VALIDATOR_ARN
        self.calls.append(payload["backfill"]["step"])
        return self.api.invoke(json.dumps(payload).encode(), 120, lambda: self.proc.poll() is None)

    def close(self):
        self.proc.terminate()
        self.proc.wait(timeout=10)
        self.api.close()
        self.log.close()


@pytest.fixture(scope="module")
def world(emulator):
    s3 = boto3.client("s3")
    sns = boto3.client("sns")
    subprocess.run([str(BIN / "trailguard-synth"), "--hours", "30", "--logs-per-hour", "2", "--records", "5",
                    "--regions", "us-east-1,us-west-2"], check=True, capture_output=True)
    s3.create_bucket(Bucket=STATE)
    topic = sns.create_topic(Name="trailguard-alerts")["TopicArn"]
    keys = [o["Key"] for p in s3.get_paginator("list_objects_v2").paginate(Bucket=LOGS) for o in p.get("Contents", [])]
    victim = sorted(k for k in keys if "/CloudTrail/us-west-2/2026/01/16/" in k)[0]
    s3.put_object(Bucket=LOGS, Key=victim, Body=gzip.compress(b'{"Records":[]}'))
    validator = Validator(topic)
    try:
        yield {"s3": s3, "topic": topic, "victim": victim, "keys": keys, "validator": validator, "url": emulator}
    finally:
        validator.close()


def machine(world) -> asl.Machine:
    d = definition({"ValidatorArn": VALIDATOR_ARN, "StateBucket": STATE, "LogBucket": LOGS,
                    "TrailArn": TRAIL_ARN, "OrganizationId": "", "Concurrency": "10"})
    return asl.Machine(d, world["validator"].invoke, world["s3"], MACHINE_ARN)


def summaries(world) -> list[dict]:
    msgs = control(world["url"], "GET", "sns")["published"]
    out = []
    for m in msgs:
        if m["topic"] != world["topic"]:
            continue
        default = json.loads(m["delivered"]["sqs"])
        if default.get("kind") == "backfill":
            out.append(default)
    return out


def test_two_days_of_two_chains_find_the_altered_log_and_publish_one_summary(world):
    m = machine(world)
    run = m.run({"start": "2026-01-15T00:00:00Z", "end": "2026-01-16T23:59:59Z"}, "backfill-jan-15-16")
    assert run["status"] == "SUCCEEDED", run
    out = run["output"]
    assert out["outcome"] == "findings"
    assert out["planned"] == 4 and out["checked"] == 4 and out["unchecked"] == 0
    assert out["invalid"] == 1
    assert out["findings"][0][1]["key"] == world["victim"]
    assert out["findings"][0][1]["code"] == "hash_mismatch"
    assert set(out["chains"]) == {"111122223333/us-east-1", "111122223333/us-west-2"}
    assert out["digests"] == len([k for k in world["keys"] if "CloudTrail-Digest" in k and "/2026/01/1" in k])
    assert m.map_runs == [{"items": 4, "SUCCEEDED": 4, "FAILED": 0}]
    # Plan, four chunks, summary; every result kept in the state bucket.
    assert world["validator"].calls[-6:] == ["plan", "chunk", "chunk", "chunk", "chunk", "summarize"]
    assert out["results"].startswith(f"s3://{STATE}/trailguard/backfill/results/")
    listing = world["s3"].get_object(Bucket=STATE, Key="trailguard/backfill/backfill-jan-15-16/chunks.json")
    assert len(json.loads(listing["Body"].read())) == 4
    sent = [s for s in summaries(world) if s.get("start") == "2026-01-15T00:00:00Z"]
    assert len(sent) == 1 and sent[0]["outcome"] == "findings" and sent[0]["severity"] == "critical"


def test_a_chunk_that_cannot_be_read_makes_the_backfill_incomplete_never_proven(world):
    day = "/CloudTrail/us-east-1/2026/01/15/"
    control(world["url"], "POST", "faults", {"rules": [
        {"service": "s3", "operation": "GetObject", "path_contains": day, "status": 503, "code": "SlowDown",
         "count": 0}]})
    try:
        m = machine(world)
        run = m.run({"start": "2026-01-15T00:00:00Z", "end": "2026-01-15T23:59:59Z", "regions": ["us-east-1"]},
                    "backfill-unreadable")
    finally:
        control(world["url"], "DELETE", "faults")
    assert run["status"] == "FAILED" and run["error"] == "trailguard.BackfillIncomplete", run
    assert m.map_runs == [{"items": 1, "SUCCEEDED": 0, "FAILED": 1}]
    sent = [s for s in summaries(world) if s.get("end") == "2026-01-15T23:59:59Z"]
    assert len(sent) == 1
    assert sent[0]["outcome"] == "incomplete" and sent[0]["unchecked"] == 1
    assert sent[0]["failures"][0][0] == "111122223333/us-east-1 2026-01-15"


def test_a_plan_that_fails_is_reported_and_fails_the_execution(world):
    m = machine(world)
    run = m.run({"start": "2027-01-01T00:00:00Z", "end": "2027-02-01T00:00:00Z"}, "backfill-future")
    assert run["status"] == "FAILED" and run["error"] == "trailguard.BackfillIncomplete", run
    assert m.map_runs == []
    sent = [s for s in summaries(world) if "nothing to check" in (s.get("runError") or "")]
    assert len(sent) == 1 and sent[0]["outcome"] == "incomplete"
