#!/usr/bin/env python3
"""trailguard's whole story on a laptop, against the local AWS emulator, with
the three functions run through the real Lambda Runtime API
(tests/emulator/lambda_runtime.py): a signed trail is written and one log
file tampered with; the integrity validator sees every object land; someone
stops the trail and the logging watchdog restarts it and names them; the
alert router reads that API call (and a few more suspicious ones) from the
trail's CloudWatch Logs stream. Every alert that reaches the queue
subscribed to the alert topic is printed as an email subscriber would read
it. Exits 1 if an expected alert did not arrive.

Run by scripts/demo.sh, which starts the emulator and builds the binaries.
"""

from __future__ import annotations

import argparse
import base64
import gzip
import json
import os
import subprocess
import sys
import urllib.request
import uuid

import boto3

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "tests", "emulator"))
import guard_chain  # noqa: E402  (the chain as template.yaml deploys it)

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BIN = os.path.join(ROOT, "target", "debug")
ENDPOINT = os.environ["AWS_ENDPOINT_URL"]
BUCKET = "trailguard-demo-logs"
TRAIL = "main-trail"
# The trail key trailguard-synth writes log files with (its --kms-key default).
DEMO_KMS_KEY = "arn:aws:kms:us-east-1:111122223333:key/0d3c4a2e-7b1f-4e55-9a6d-5f1e2c3b4a59"
MOTO_ACCOUNT = "123456789012"
LOG = os.path.join(os.environ.get("TMPDIR", "/tmp"), "trailguard-demo-functions.log")
# The functions run as in Lambda, with a secret key and a session token, and
# log at the most verbose level: neither may appear in their logs.
SECRET = f"demo-secret-{uuid.uuid4().hex}"
TOKEN = f"demo-session-token-{uuid.uuid4().hex}"
CREDENTIALS = {"AWS_SECRET_ACCESS_KEY": SECRET, "AWS_SESSION_TOKEN": TOKEN, "RUST_LOG": "trace"}


def step(text: str) -> None:
    print(f"\n== {text}", flush=True)


def control(method: str, path: str, body: dict | None = None) -> dict:
    data = json.dumps(body or {}).encode()
    req = urllib.request.Request(f"{ENDPOINT}/_trailguard/{path}", data=data if method != "GET" else None, method=method)
    with urllib.request.urlopen(req, timeout=30) as r:
        return json.load(r)


def invoke(function: str, events: list[dict], env: dict[str, str]) -> list[dict]:
    """Runs the function binary under the Runtime API emulator, one
    invocation per event; returns the responses."""
    cmd = [sys.executable, os.path.join(ROOT, "tests", "emulator", "lambda_runtime.py"),
           "--binary", os.path.join(BIN, function), "--name", f"trailguard-{function}",
           "--account", MOTO_ACCOUNT, "--event", "-", "--timeout", "120"]
    for k, v in {**CREDENTIALS, **env}.items():
        cmd += ["--env", f"{k}={v}"]
    stdin = "".join(json.dumps(e) + "\n" for e in events)
    out = subprocess.run(cmd, input=stdin, capture_output=True, text=True,
                         env={**os.environ, "TRAILGUARD_FUNCTION_LOG": LOG})
    results = [json.loads(line) for line in out.stdout.splitlines() if line.strip()]
    if out.returncode == 2:
        print(out.stderr, file=sys.stderr)
        sys.exit(f"{function} could not be run (see {LOG})")
    return results


def s3_event(key: str) -> dict:
    return {"Records": [{"eventVersion": "2.1", "eventSource": "aws:s3", "awsRegion": "us-east-1",
                         "eventTime": "2026-01-15T06:00:00.000Z", "eventName": "ObjectCreated:Put",
                         "s3": {"s3SchemaVersion": "1.0",
                                "bucket": {"name": BUCKET, "arn": f"arn:aws:s3:::{BUCKET}"},
                                "object": {"key": key, "size": 1}}}]}


def cwlogs_event(records: list[dict]) -> dict:
    message = {"messageType": "DATA_MESSAGE", "owner": MOTO_ACCOUNT, "logGroup": f"aws-cloudtrail-logs-{TRAIL}",
               "logStream": f"{MOTO_ACCOUNT}_CloudTrail_us-east-1", "subscriptionFilters": ["trailguard"],
               "logEvents": [{"id": str(i), "timestamp": 0, "message": json.dumps(r)} for i, r in enumerate(records)]}
    data = base64.b64encode(gzip.compress(json.dumps(message).encode())).decode()
    return {"awslogs": {"data": data}}


def main() -> int:
    open(LOG, "w").close()
    sns = boto3.client("sns")
    sqs = boto3.client("sqs")
    ct = boto3.client("cloudtrail")
    s3 = boto3.client("s3")

    step("the alert topic, and a queue subscribed to it (a person's inbox)")
    topic = sns.create_topic(Name="trailguard-alerts")["TopicArn"]
    queue_url = sqs.create_queue(QueueName="trailguard-inbox")["QueueUrl"]
    queue_arn = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=queue_arn)
    print(topic)

    step("six hours of a signed two-region trail (us-east-1, us-west-2; each region's digests signed with its own key) "
         "written to s3://trailguard-demo-logs, then one log file altered")
    subprocess.run([os.path.join(BIN, "trailguard-synth"), "--hours", "6", "--tamper", "modify-log"], check=True)
    ct.start_logging(Name=TRAIL)

    step("integrity-validator: every object's S3 event, as it lands")
    keys = []
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=BUCKET):
        keys += [o["Key"] for o in page.get("Contents", [])]
    # Log files land before the digest that lists them.
    keys.sort(key=lambda k: ("CloudTrail-Digest" in k, k))
    results = invoke("integrity-validator", [s3_event(k) for k in keys], {
        "TRAILGUARD_SNS_TOPIC_ARN": topic,
        "TRAILGUARD_EXPECTED_ACCOUNTS": "111122223333",
        "TRAILGUARD_TRAIL_NAME": TRAIL,
        # trailguard-synth's trail key: log files SSE-KMS with it, digests
        # SSE-S3, as CloudTrail writes them; every digest is still verified.
        "TRAILGUARD_KMS_KEY_ARN": DEMO_KMS_KEY,
    })
    invalid = sum(r.get("response", {}).get("invalid", 0) for r in results)
    print(f"{len(results)} invocations, {sum(r['ok'] for r in results)} succeeded, {invalid} invalid file(s) reported")

    step("the chain the functions hang on, as deployed: the bucket's policy, public access block and "
         "EventBridge notifications, the validator's rule and queue, the router's subscription filter")
    chain = guard_chain.setup(argparse.Namespace(
        bucket=BUCKET, trail_arn=f"arn:aws:cloudtrail:us-east-1:{MOTO_ACCOUNT}:trail/{TRAIL}",
        log_group=f"aws-cloudtrail-logs-{TRAIL}"))
    print(json.dumps(chain))

    step("mallory stops the trail")
    mallory = boto3.client("cloudtrail", aws_access_key_id="mallory", aws_secret_access_key="x")
    mallory.stop_logging(Name=TRAIL)
    print("IsLogging:", ct.get_trail_status(Name=TRAIL)["IsLogging"])

    step("logging-watchdog: the five-minute schedule fires")
    with open(os.path.join(ROOT, "events", "logging-watchdog", "scheduled-event.json")) as f:
        scheduled = json.load(f)
    results = invoke("logging-watchdog", [scheduled], {
        "TRAILGUARD_SNS_TOPIC_ARN": topic,
        "TRAILGUARD_ACCOUNT_ID": MOTO_ACCOUNT,
        "TRAILGUARD_WATCHDOG_TRAILS": TRAIL,
        # The synthetic trail has no KMS key, log group or data selectors.
        "TRAILGUARD_CHECK_KMS_ENCRYPTION": "off",
        "TRAILGUARD_CHECK_CLOUDWATCH_LOGS": "off",
        "TRAILGUARD_CHECK_EVENT_SELECTORS": "off",
        "TRAILGUARD_CHECK_DELIVERY": "off",
        # The chain outside the trail: all in place, so all ok.
        "TRAILGUARD_VALIDATOR_RULE": chain["rule"],
        "TRAILGUARD_VALIDATOR_QUEUE_URL": chain["queue_url"],
        "TRAILGUARD_ROUTER_FUNCTION_ARN": chain["router"],
        "TRAILGUARD_ROUTER_LOG_GROUP": chain["log_group"],
    })
    watchdog = results[0].get("response", results[0])
    print(json.dumps(watchdog))
    # logging fixed; the other trail checks, the bucket's five and the two
    # feeds ok: nothing else drifted.
    chain_ok = watchdog.get("fixed") == 1 and watchdog.get("drift") == 0 and watchdog.get("failed") == 0
    print("IsLogging:", ct.get_trail_status(Name=TRAIL)["IsLogging"])

    step("alert-router: the trail's CloudWatch Logs stream delivers mallory's StopLogging and more")
    recorded = ct.lookup_events(LookupAttributes=[{"AttributeKey": "EventName", "AttributeValue": "StopLogging"}])
    records = [json.loads(e["CloudTrailEvent"]) for e in recorded["Events"]]
    with open(os.path.join(ROOT, "events", "alert-router", "decoded", "cwlogs-data-message.json")) as f:
        sample = json.load(f)
    # The sample's bucket-policy change and console sign-in without MFA.
    records += [json.loads(e["message"]) for e in sample["logEvents"][1:3]]
    results = invoke("alert-router", [cwlogs_event(records)], {
        "TRAILGUARD_SNS_TOPIC_ARN": topic,
        "TRAILGUARD_LOG_BUCKET": BUCKET,
        "TRAILGUARD_TRAIL_NAME": TRAIL,
    })
    print(json.dumps(results[0].get("response", results[0])))

    step("the inbox: every alert, as an email subscriber reads it")
    published = control("GET", "sns")["published"]
    inbox = []
    while True:
        got = sqs.receive_message(QueueUrl=queue_url, MaxNumberOfMessages=10).get("Messages", [])
        if not got:
            break
        for m in got:
            envelope = json.loads(m["Body"])
            email = next((p["delivered"]["email"] for p in published
                          if p["delivered"]["sqs"] == envelope["Message"]), envelope["Message"])
            inbox.append((envelope.get("Subject", ""), email))
            sqs.delete_message(QueueUrl=queue_url, ReceiptHandle=m["ReceiptHandle"])
    for subject, email in inbox:
        print(f"\n--- {subject}")
        lines = email.splitlines()
        print("\n".join(lines[:14]))
        if len(lines) > 14:
            print(f"    [... {len(lines) - 14} more lines]")

    expected = {
        "the altered log file (integrity-validator)": lambda s, b: "hash value doesn't match" in b,
        "the stopped trail, restarted, naming mallory (logging-watchdog)":
            lambda s, b: "logging on main-trail" in s and "user/mallory" in b,
        "mallory's StopLogging as a critical detection (alert-router)":
            lambda s, b: s.startswith("[CRITICAL]") and "StopLogging by user/mallory" in s,
        "the log bucket opened to everyone (alert-router)": lambda s, b: "PutBucketPolicy" in s,
        "the console sign-in without MFA (alert-router)": lambda s, b: "ConsoleLogin" in s,
    }
    step(f"{len(inbox)} alert(s) in the inbox")
    missing = 0 if chain_ok else 1
    if not chain_ok:
        print("MISSING the watchdog's pass: logging fixed and every other check ok (the chain as deployed)")
    for name, check in expected.items():
        found = any(check(s, b) for s, b in inbox)
        print(f"{'ok     ' if found else 'MISSING'} {name}")
        missing += not found
    step("the functions' own logs (RUST_LOG=trace): no credential in them")
    with open(LOG, encoding="utf-8", errors="replace") as f:
        logged = f.read()
    leaked = [name for name, value in (("secret access key", SECRET), ("session token", TOKEN)) if value in logged]
    redacted = "x-amz-security-token:** redacted" in logged
    print(f"{len(logged.splitlines())} log lines; the signed requests show the session token redacted: {redacted}")
    if leaked or not redacted:
        print(f"credentials in the logs: {leaked or 'signed requests not seen at trace level'} ({LOG})", file=sys.stderr)
        missing += 1
    if missing:
        print(f"\n{missing} expected alert(s) or check(s) failed (function logs: {LOG})", file=sys.stderr)
        return 1
    print("\nEvery expected alert arrived.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
