"""Tests for server.py, the trailguard AWS emulator (moto + stand-ins).

Each server runs as a subprocess on a free loopback port; boto3 talks to it
through ``endpoint_url``.  Run with ``python3 -m pytest -q`` in this folder.
"""

from __future__ import annotations

import base64
import datetime as dt
import http.client
import json
import os
import re
import signal
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

HERE = os.path.dirname(os.path.abspath(__file__))
SERVER = os.path.join(HERE, "server.py")
TARGET_PREFIX = "com.amazonaws.cloudtrail.v20131101.CloudTrail_20131101"
UTC = dt.timezone.utc


# --------------------------------------------------------------------------
# Fixtures and helpers
# --------------------------------------------------------------------------


class Emulator:
    def __init__(self, *args: str):
        env = dict(os.environ)
        for var in ("HTTP_PROXY", "HTTPS_PROXY", "http_proxy", "https_proxy"):
            env.pop(var, None)
        self.proc = subprocess.Popen(
            [sys.executable, SERVER, *args],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=env,
        )
        line = self._readline(timeout=60)
        match = re.fullmatch(r"READY (http://(127\.\d+\.\d+\.\d+):(\d+))\n", line or "")
        if not match:
            self.stop()
            raise RuntimeError(f"no READY line, got {line!r}; stderr: {self.proc.stderr.read()}")
        self.url = match.group(1)
        self.host = match.group(2)
        self.port = int(match.group(3))

    def _readline(self, timeout: float) -> str | None:
        result: list[str] = []
        reader = threading.Thread(target=lambda: result.append(self.proc.stdout.readline()), daemon=True)
        reader.start()
        reader.join(timeout)
        return result[0] if result else None

    def control(self, method: str, name: str, body=None) -> tuple[int, dict]:
        conn = http.client.HTTPConnection(self.host, self.port, timeout=30)
        try:
            payload = json.dumps(body).encode() if body is not None else None
            headers = {"Content-Type": "application/json"} if payload is not None else {}
            conn.request(method, f"/_trailguard/{name}", body=payload, headers=headers)
            resp = conn.getresponse()
            return resp.status, json.loads(resp.read() or b"{}")
        finally:
            conn.close()

    def ok(self, method: str, name: str, body=None) -> dict:
        status, result = self.control(method, name, body)
        assert status == 200, result
        return result

    def client(self, service: str, region: str = "us-east-1", retries: int = 1, **config):
        return boto3.client(
            service,
            region_name=region,
            endpoint_url=self.url,
            aws_access_key_id="AKIDTESTING",
            aws_secret_access_key="testing",
            config=Config(retries={"total_max_attempts": retries, "mode": "standard"}, **config),
        )

    def counts(self) -> dict:
        return self.ok("GET", "requests")["counts"]

    def stop(self) -> int | None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        for stream in (self.proc.stdout, self.proc.stderr):
            stream.close()
        return self.proc.returncode


@pytest.fixture(scope="module")
def server():
    emulator = Emulator("--port", "0")
    yield emulator
    emulator.stop()


@pytest.fixture(autouse=True)
def _reset(request):
    if "server" in request.fixturenames:
        request.getfixturevalue("server").ok("POST", "reset")
    yield


def ts(year, month, day, hour=0, minute=0, second=0) -> int:
    return int(dt.datetime(year, month, day, hour, minute, second, tzinfo=UTC).timestamp())


def register_key(server, fingerprint, start, end, region="us-east-1", der=None):
    der = der or (b"\x30\x82" + fingerprint.encode())
    server.ok(
        "POST",
        "public-keys",
        {
            "region": region,
            "fingerprint": fingerprint,
            "value_b64": base64.b64encode(der).decode(),
            "validity_start": start,
            "validity_end": end,
        },
    )
    return der


# --------------------------------------------------------------------------
# CLI, control plane, lifecycle
# --------------------------------------------------------------------------


def test_health(server):
    assert server.control("GET", "health") == (200, {"ok": True})


def test_unknown_control_endpoint(server):
    assert server.control("GET", "nope")[0] == 404
    assert server.control("GET", "faults")[0] == 405
    status, body = server.control("POST", "faults", {"rules": [{"status": 500}]})
    assert status == 400 and not body["ok"]


@pytest.mark.parametrize("host", ["0.0.0.0", "10.0.0.1", "example.com", "::"])
def test_refuses_non_loopback_host(host):
    proc = subprocess.run(
        [sys.executable, SERVER, "--host", host, "--port", "0"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert proc.returncode != 0
    assert "READY" not in proc.stdout
    assert "loopback" in proc.stderr


def test_localhost_is_accepted_and_sigterm_exits_cleanly():
    emulator = Emulator("--host", "localhost", "--port", "0")
    assert emulator.url.startswith("http://127.0.0.1:")
    try:
        assert emulator.control("GET", "health") == (200, {"ok": True})
    finally:
        assert emulator.stop() == 0


def test_sigint_exits_cleanly():
    emulator = Emulator("--host", "127.0.0.2", "--port", "0")  # any 127/8 address is loopback
    assert emulator.url.startswith("http://127.0.0.2:")
    assert emulator.control("GET", "health") == (200, {"ok": True})
    emulator.proc.send_signal(signal.SIGINT)
    assert emulator.proc.wait(timeout=10) == 0
    emulator.stop()


def test_reset_resets_moto_and_stand_ins(server):
    s3 = server.client("s3")
    s3.create_bucket(Bucket="before-reset")
    register_key(server, "fp", ts(2020, 1, 1), ts(2030, 1, 1))
    server.ok("POST", "events", {"events": [{"EventName": "X", "EventTime": ts(2025, 1, 1)}]})
    server.ok("POST", "faults", {"rules": [{"service": "sns", "status": 500, "count": 5}]})
    server.ok("POST", "reset")
    assert s3.list_buckets()["Buckets"] == []
    ct = server.client("cloudtrail")
    assert ct.lookup_events()["Events"] == []
    assert ct.list_public_keys(StartTime=ts(2021, 1, 1), EndTime=ts(2022, 1, 1))["PublicKeyList"] == []
    server.client("sns").list_topics()  # the fault rule is gone
    assert server.counts() == {"s3:ListBuckets": 1, "cloudtrail:LookupEvents": 1, "cloudtrail:ListPublicKeys": 1, "sns:ListTopics": 1}


# --------------------------------------------------------------------------
# Plain moto through the wrapper
# --------------------------------------------------------------------------


def test_plain_moto_s3_roundtrip_with_metadata(server):
    s3 = server.client("s3")
    s3.create_bucket(Bucket="plain")
    s3.put_object(
        Bucket="plain",
        Key="dir/obj.json.gz",
        Body=b"\x1f\x8b hello",
        ContentType="application/json",
        Metadata={"signature": "abc123", "signature-algorithm": "SHA256withRSA"},
    )
    got = s3.get_object(Bucket="plain", Key="dir/obj.json.gz")
    assert got["Body"].read() == b"\x1f\x8b hello"
    assert got["Metadata"] == {"signature": "abc123", "signature-algorithm": "SHA256withRSA"}
    head = s3.head_object(Bucket="plain", Key="dir/obj.json.gz")
    assert head["ContentLength"] == len(b"\x1f\x8b hello")
    listed = s3.list_objects_v2(Bucket="plain", Prefix="dir/")
    assert [o["Key"] for o in listed["Contents"]] == ["dir/obj.json.gz"]
    assert server.counts() == {
        "s3:CreateBucket": 1,
        "s3:PutObject": 1,
        "s3:GetObject": 1,
        "s3:HeadObject": 1,
        "s3:ListObjectsV2": 1,
    }


def test_large_and_streaming_s3_bodies_pass_through_untouched(server, tmp_path):
    s3 = server.client("s3")
    s3.create_bucket(Bucket="big")
    data = os.urandom(3 * 1024 * 1024 + 17)
    s3.put_object(Bucket="big", Key="bytes", Body=data)
    assert s3.get_object(Bucket="big", Key="bytes")["Body"].read() == data
    path = tmp_path / "blob"
    path.write_bytes(data[:100_000])
    with open(path, "rb") as fh:  # file body: streamed (aws-chunked with checksum trailer)
        s3.put_object(Bucket="big", Key="file", Body=fh)
    assert s3.get_object(Bucket="big", Key="file")["Body"].read() == data[:100_000]
    s3.upload_file(str(path), "big", "via-transfer")
    assert s3.get_object(Bucket="big", Key="via-transfer")["Body"].read() == data[:100_000]


def test_plain_moto_cloudtrail_trail(server):
    s3 = server.client("s3")
    s3.create_bucket(Bucket="trail-bucket")
    ct = server.client("cloudtrail")
    trail = ct.create_trail(Name="guarded", S3BucketName="trail-bucket", EnableLogFileValidation=True)
    assert trail["Name"] == "guarded"
    assert trail["LogFileValidationEnabled"] is True
    assert ct.get_trail_status(Name="guarded")["IsLogging"] is False
    ct.start_logging(Name="guarded")
    assert ct.get_trail_status(Name="guarded")["IsLogging"] is True
    assert [t["Name"] for t in ct.describe_trails()["trailList"]] == ["guarded"]


def test_plain_moto_sns_and_sqs(server):
    sns = server.client("sns")
    sqs = server.client("sqs")
    topic = sns.create_topic(Name="alerts")["TopicArn"]
    queue = sqs.create_queue(QueueName="alerts-q")["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=queue, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=arn, Attributes={"RawMessageDelivery": "true"})
    sns.publish(TopicArn=topic, Message="tamper detected")
    messages = sqs.receive_message(QueueUrl=queue, WaitTimeSeconds=1)["Messages"]
    assert messages[0]["Body"] == "tamper detected"
    counts = server.counts()
    assert counts["sns:Publish"] == 1 and counts["sqs:ReceiveMessage"] == 1


# --------------------------------------------------------------------------
# CloudTrail ListPublicKeys
# --------------------------------------------------------------------------


def test_target_prefix_matches_botocore():
    model = boto3.session.Session().client("cloudtrail", region_name="us-east-1").meta.service_model
    assert model.metadata["targetPrefix"] == TARGET_PREFIX


def test_list_public_keys_wire_format(server):
    register_key(server, "fp-wire", ts(2025, 1, 1), ts(2025, 2, 1), der=b"\x30\x82\x01\x0a\x00\xff")
    conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=30)
    body = json.dumps({"StartTime": ts(2025, 1, 10), "EndTime": ts(2025, 1, 11)})
    conn.request(
        "POST",
        "/",
        body=body,
        headers={
            "Content-Type": "application/x-amz-json-1.1",
            "X-Amz-Target": f"{TARGET_PREFIX}.ListPublicKeys",
            "Authorization": "AWS4-HMAC-SHA256 Credential=AKID/20260101/us-east-1/cloudtrail/aws4_request, "
            "SignedHeaders=host, Signature=0",
        },
    )
    resp = conn.getresponse()
    payload = json.loads(resp.read())
    conn.close()
    assert resp.status == 200
    assert resp.getheader("Content-Type") == "application/x-amz-json-1.1"
    assert resp.getheader("x-amzn-RequestId")
    assert payload == {
        "PublicKeyList": [
            {
                "Value": base64.b64encode(b"\x30\x82\x01\x0a\x00\xff").decode(),
                "ValidityStartTime": ts(2025, 1, 1),
                "ValidityEndTime": ts(2025, 2, 1),
                "Fingerprint": "fp-wire",
            }
        ]
    }


def test_list_public_keys_overlap_and_regions(server):
    der_a = register_key(server, "a", ts(2025, 1, 1), ts(2025, 2, 1))
    der_b = register_key(server, "b", ts(2025, 2, 1), ts(2025, 3, 1))
    register_key(server, "c", ts(2025, 3, 1), ts(2025, 4, 1))
    register_key(server, "west", ts(2025, 1, 1), ts(2025, 4, 1), region="us-west-2")
    ct = server.client("cloudtrail")
    result = ct.list_public_keys(
        StartTime=dt.datetime(2025, 1, 15, tzinfo=UTC), EndTime=dt.datetime(2025, 2, 15, tzinfo=UTC)
    )
    keys = result["PublicKeyList"]
    assert [k["Fingerprint"] for k in keys] == ["a", "b"]
    assert keys[0]["Value"] == der_a and keys[1]["Value"] == der_b
    assert keys[0]["ValidityStartTime"] == dt.datetime(2025, 1, 1, tzinfo=UTC)
    assert keys[0]["ValidityEndTime"] == dt.datetime(2025, 2, 1, tzinfo=UTC)
    assert "NextToken" not in result
    west = server.client("cloudtrail", region="us-west-2").list_public_keys(
        StartTime=ts(2025, 1, 15), EndTime=ts(2025, 2, 15)
    )
    assert [k["Fingerprint"] for k in west["PublicKeyList"]] == ["west"]
    assert ct.list_public_keys(StartTime=ts(2024, 1, 1), EndTime=ts(2024, 6, 1))["PublicKeyList"] == []


def test_list_public_keys_defaults_to_current_key(server):
    t = int(time.time())
    register_key(server, "old", t - 7200, t - 3600)
    register_key(server, "current", t - 3600, t + 3600)
    register_key(server, "future", t + 3600, t + 7200)
    ct = server.client("cloudtrail")
    assert [k["Fingerprint"] for k in ct.list_public_keys()["PublicKeyList"]] == ["current"]
    since = ct.list_public_keys(StartTime=t - 5000)["PublicKeyList"]
    assert [k["Fingerprint"] for k in since] == ["old", "current"]


def test_list_public_keys_pagination(server):
    for i in range(5):
        register_key(server, f"k{i}", ts(2025, 1, 1 + i), ts(2025, 1, 2 + i))
    server.ok("POST", "config", {"public_keys_page_size": 1})
    ct = server.client("cloudtrail")
    first = ct.list_public_keys(StartTime=ts(2024, 12, 1), EndTime=ts(2025, 2, 1))
    assert len(first["PublicKeyList"]) == 1 and first["NextToken"]
    pages = list(
        ct.get_paginator("list_public_keys").paginate(StartTime=ts(2024, 12, 1), EndTime=ts(2025, 2, 1))
    )
    assert len(pages) == 5
    assert [k["Fingerprint"] for p in pages for k in p["PublicKeyList"]] == [f"k{i}" for i in range(5)]
    assert server.counts()["cloudtrail:ListPublicKeys"] == 6
    with pytest.raises(ClientError) as err:
        ct.list_public_keys(StartTime=ts(2024, 12, 2), EndTime=ts(2025, 2, 1), NextToken=first["NextToken"])
    assert err.value.response["Error"]["Code"] == "InvalidTokenException"


def test_list_public_keys_invalid_time_range(server):
    ct = server.client("cloudtrail")
    with pytest.raises(ClientError) as err:
        ct.list_public_keys(StartTime=ts(2025, 2, 1), EndTime=ts(2025, 1, 1))
    assert err.value.response["Error"]["Code"] == "InvalidTimeRangeException"
    assert err.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400
    assert err.value.response["ResponseMetadata"]["HTTPHeaders"]["content-type"] == "application/x-amz-json-1.1"


# --------------------------------------------------------------------------
# CloudTrail LookupEvents
# --------------------------------------------------------------------------


def make_events(n: int, base: int) -> list[dict]:
    events = []
    for i in range(n):
        events.append(
            {
                "EventId": f"evt-{i:03d}",
                "EventName": ["StopLogging", "DeleteTrail", "PutObject"][i % 3],
                "ReadOnly": "false" if i % 2 else True,
                "AccessKeyId": f"AKID{i % 4}",
                "EventTime": base + 60 * i,
                "EventSource": "cloudtrail.amazonaws.com" if i % 3 < 2 else "s3.amazonaws.com",
                "Username": ["alice", "bob"][i % 2],
                "Resources": [{"ResourceType": "AWS::CloudTrail::Trail", "ResourceName": f"trail-{i % 5}"}],
            }
        )
    return events


def test_lookup_events_order_and_pagination(server):
    base = ts(2025, 6, 1)
    server.ok("POST", "events", {"region": "us-east-1", "events": make_events(120, base)})
    ct = server.client("cloudtrail")
    first = ct.lookup_events()
    assert len(first["Events"]) == 50 and first["NextToken"]
    assert first["Events"][0]["EventId"] == "evt-119"
    pages = list(ct.get_paginator("lookup_events").paginate(PaginationConfig={"PageSize": 7}))
    events = [e for p in pages for e in p["Events"]]
    assert len(pages) == 18
    assert [e["EventId"] for e in events] == [f"evt-{i:03d}" for i in range(119, -1, -1)]
    e = events[-1]
    assert e["EventTime"] == dt.datetime(2025, 6, 1, tzinfo=UTC)
    assert e["ReadOnly"] == "true" and events[-2]["ReadOnly"] == "false"
    assert e["Resources"] == [{"ResourceType": "AWS::CloudTrail::Trail", "ResourceName": "trail-0"}]
    record = json.loads(e["CloudTrailEvent"])
    assert record["eventID"] == "evt-000" and record["eventName"] == "StopLogging"
    assert record["awsRegion"] == "us-east-1"
    # Other regions are separate.
    assert server.client("cloudtrail", region="eu-west-1").lookup_events()["Events"] == []


@pytest.mark.parametrize(
    "key,value,expected",
    [
        ("EventId", "evt-007", 1),
        ("EventName", "StopLogging", 10),
        ("ReadOnly", "true", 15),
        ("Username", "bob", 15),
        ("ResourceType", "AWS::CloudTrail::Trail", 30),
        ("ResourceName", "trail-3", 6),
        ("EventSource", "s3.amazonaws.com", 10),
        ("AccessKeyId", "AKID1", 8),
        ("Username", "nobody", 0),
    ],
)
def test_lookup_events_attributes(server, key, value, expected):
    server.ok("POST", "events", {"events": make_events(30, ts(2025, 6, 1))})
    pages = server.client("cloudtrail").get_paginator("lookup_events").paginate(
        LookupAttributes=[{"AttributeKey": key, "AttributeValue": value}]
    )
    events = [e for p in pages for e in p["Events"]]
    assert len(events) == expected
    times = [e["EventTime"] for e in events]
    assert times == sorted(times, reverse=True)


def test_lookup_events_time_range_and_given_record(server):
    base = ts(2025, 6, 1)
    server.ok("POST", "events", {"events": make_events(10, base)})
    record = {"eventVersion": "1.09", "eventName": "StopLogging", "custom": [1, 2]}
    server.ok(
        "POST",
        "events",
        {"events": [{"EventId": "given", "EventName": "StopLogging", "EventTime": base + 150, "CloudTrailEvent": record}]},
    )
    ct = server.client("cloudtrail")
    events = ct.lookup_events(StartTime=base + 120, EndTime=base + 240)["Events"]
    assert [e["EventId"] for e in events] == ["evt-004", "evt-003", "given", "evt-002"]
    assert json.loads(events[2]["CloudTrailEvent"]) == record
    assert "Username" not in events[2]


def test_lookup_events_errors(server):
    ct = server.client("cloudtrail")

    def code(**kwargs) -> str:
        with pytest.raises(ClientError) as err:
            ct.lookup_events(**kwargs)
        assert err.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400
        return err.value.response["Error"]["Code"]

    assert code(StartTime=ts(2025, 2, 1), EndTime=ts(2025, 1, 1)) == "InvalidTimeRangeException"
    two = [{"AttributeKey": "Username", "AttributeValue": "a"}, {"AttributeKey": "EventName", "AttributeValue": "b"}]
    assert code(LookupAttributes=two) == "InvalidLookupAttributesException"
    assert code(LookupAttributes=[{"AttributeKey": "Bogus", "AttributeValue": "b"}]) == "InvalidLookupAttributesException"
    assert code(MaxResults=51) == "InvalidMaxResultsException"
    assert code(NextToken="not-a-token") == "InvalidNextTokenException"
    assert code(EventCategory="bogus") == "InvalidEventCategoryException"
    assert ct.lookup_events(EventCategory="insight")["Events"] == []


def test_lookup_events_next_token_bound_to_parameters(server):
    server.ok("POST", "events", {"events": make_events(10, ts(2025, 6, 1))})
    ct = server.client("cloudtrail")
    attrs = [{"AttributeKey": "Username", "AttributeValue": "bob"}]
    first = ct.lookup_events(LookupAttributes=attrs, MaxResults=2)
    with pytest.raises(ClientError) as err:
        ct.lookup_events(MaxResults=2, NextToken=first["NextToken"])
    assert err.value.response["Error"]["Code"] == "InvalidNextTokenException"
    second = ct.lookup_events(LookupAttributes=attrs, MaxResults=3, NextToken=first["NextToken"])
    assert [e["EventId"] for e in second["Events"]] == ["evt-005", "evt-003", "evt-001"]
    assert "NextToken" not in second


# --------------------------------------------------------------------------
# Faults
# --------------------------------------------------------------------------


def test_s3_get_object_fault_counts_down(server):
    s3 = server.client("s3")
    s3.create_bucket(Bucket="faulty")
    s3.put_object(Bucket="faulty", Key="a/k", Body=b"data")
    server.ok(
        "POST",
        "faults",
        {"rules": [{"service": "s3", "operation": "GetObject", "status": 503, "code": "SlowDown", "message": "Reduce your request rate.", "count": 2}]},
    )
    for _ in range(2):
        with pytest.raises(ClientError) as err:
            s3.get_object(Bucket="faulty", Key="a/k")
        assert err.value.response["Error"]["Code"] == "SlowDown"
        assert err.value.response["Error"]["Message"] == "Reduce your request rate."
        assert err.value.response["ResponseMetadata"]["HTTPStatusCode"] == 503
    assert s3.head_object(Bucket="faulty", Key="a/k")["ContentLength"] == 4  # other ops unaffected
    assert s3.get_object(Bucket="faulty", Key="a/k")["Body"].read() == b"data"
    assert server.counts()["s3:GetObject"] == 3


def test_s3_fault_retried_by_client(server):
    s3 = server.client("s3", retries=5)
    s3.create_bucket(Bucket="retry")
    s3.put_object(Bucket="retry", Key="k", Body=b"x")
    server.ok("POST", "faults", {"rules": [{"service": "s3", "operation": "GetObject", "status": 503, "code": "SlowDown", "count": 2}]})
    assert s3.get_object(Bucket="retry", Key="k")["Body"].read() == b"x"
    assert server.counts()["s3:GetObject"] == 3


def test_s3_fault_path_contains_and_head_and_put(server):
    s3 = server.client("s3")
    s3.create_bucket(Bucket="pcb")
    s3.put_object(Bucket="pcb", Key="good/k", Body=b"1")
    s3.put_object(Bucket="pcb", Key="bad/k", Body=b"2")
    server.ok(
        "POST",
        "faults",
        {
            "rules": [
                {"service": "s3", "path_contains": "/bad/", "status": 500, "code": "InternalError", "count": 0},
                {"service": "s3", "operation": "PutObject", "status": 503, "code": "SlowDown"},
            ]
        },
    )
    assert s3.get_object(Bucket="pcb", Key="good/k")["Body"].read() == b"1"
    with pytest.raises(ClientError) as err:
        s3.get_object(Bucket="pcb", Key="bad/k")
    assert err.value.response["Error"]["Code"] == "InternalError"
    with pytest.raises(ClientError) as err:
        s3.head_object(Bucket="pcb", Key="bad/k")
    assert err.value.response["ResponseMetadata"]["HTTPStatusCode"] == 500
    with pytest.raises(ClientError) as err:  # the body is drained, the error still arrives
        s3.put_object(Bucket="pcb", Key="new", Body=os.urandom(2 * 1024 * 1024))
    assert err.value.response["Error"]["Code"] == "SlowDown"
    s3.put_object(Bucket="pcb", Key="new", Body=b"ok")
    server.ok("DELETE", "faults")
    assert s3.get_object(Bucket="pcb", Key="bad/k")["Body"].read() == b"2"


def test_s3_list_operations_are_told_apart(server):
    s3 = server.client("s3")
    s3.create_bucket(Bucket="lists")
    server.ok("POST", "faults", {"rules": [{"service": "s3", "operation": "ListObjects", "status": 403, "code": "AccessDenied"}]})
    assert s3.list_objects_v2(Bucket="lists")["KeyCount"] == 0
    with pytest.raises(ClientError) as err:
        s3.list_objects(Bucket="lists")
    assert err.value.response["Error"]["Code"] == "AccessDenied"
    counts = server.counts()
    assert counts["s3:ListObjectsV2"] == 1 and counts["s3:ListObjects"] == 1


def test_cloudtrail_json_faults(server):
    server.client("s3").create_bucket(Bucket="ct-bucket")
    ct = server.client("cloudtrail")
    ct.create_trail(Name="flaky-trail", S3BucketName="ct-bucket")
    server.ok(
        "POST",
        "faults",
        {
            "rules": [
                {"service": "cloudtrail", "operation": "GetTrailStatus", "status": 400, "code": "ThrottlingException", "message": "Rate exceeded"},
                {"service": "cloudtrail", "operation": "LookupEvents", "status": 500, "code": "InternalFailure"},
            ]
        },
    )
    with pytest.raises(ClientError) as err:
        ct.get_trail_status(Name="flaky-trail")
    assert err.value.response["Error"] == {"Code": "ThrottlingException", "Message": "Rate exceeded"}
    assert err.value.response["ResponseMetadata"]["HTTPHeaders"]["content-type"] == "application/x-amz-json-1.1"
    with pytest.raises(ClientError) as err:
        ct.lookup_events()
    assert err.value.response["Error"]["Code"] == "InternalFailure"
    assert ct.get_trail_status(Name="flaky-trail")["IsLogging"] is False
    # Only the CreateTrail call itself is in the history.
    assert [e["EventName"] for e in ct.lookup_events()["Events"]] == ["CreateTrail"]


def test_query_and_sqs_faults(server):
    sns = server.client("sns")
    sqs = server.client("sqs")
    topic = sns.create_topic(Name="t")["TopicArn"]
    queue = sqs.create_queue(QueueName="q")["QueueUrl"]
    server.ok(
        "POST",
        "faults",
        {
            "rules": [
                {"service": "sns", "operation": "Publish", "status": 400, "code": "Throttling", "message": "Rate exceeded"},
                {"service": "sqs", "operation": "SendMessage", "status": 503, "code": "ServiceUnavailable", "message": "busy"},
            ]
        },
    )
    with pytest.raises(ClientError) as err:
        sns.publish(TopicArn=topic, Message="m")
    assert err.value.response["Error"]["Code"] == "Throttling"
    assert err.value.response["Error"]["Message"] == "Rate exceeded"
    assert err.value.response["Error"]["Type"] == "Sender"
    with pytest.raises(ClientError) as err:
        sqs.send_message(QueueUrl=queue, MessageBody="m")
    assert err.value.response["Error"]["Code"] == "ServiceUnavailable"
    assert err.value.response["ResponseMetadata"]["HTTPStatusCode"] == 503
    sns.publish(TopicArn=topic, Message="m")
    sqs.send_message(QueueUrl=queue, MessageBody="m")
    counts = server.counts()
    assert counts["sns:Publish"] == 2 and counts["sqs:SendMessage"] == 2


def test_delay_fault(server):
    sns = server.client("sns")
    server.ok("POST", "faults", {"rules": [{"service": "sns", "operation": "ListTopics", "delay_ms": 400}]})
    started = time.monotonic()
    sns.list_topics()
    assert time.monotonic() - started >= 0.4
    started = time.monotonic()
    sns.list_topics()
    assert time.monotonic() - started < 0.4


def test_cut_body_fault_drops_the_connection_mid_body(server):
    s3 = server.client("s3")
    s3.create_bucket(Bucket="cut")
    s3.put_object(Bucket="cut", Key="k", Body=b"x" * 100_000)
    server.ok("POST", "faults", {"rules": [{"service": "s3", "operation": "GetObject", "cut_body": True}]})
    got = s3.get_object(Bucket="cut", Key="k")
    assert got["ContentLength"] == 100_000
    with pytest.raises(Exception) as err:
        got["Body"].read()
    # botocore's IncompleteReadError, or the connection error under it.
    assert type(err.value).__name__ in ("IncompleteReadError", "ResponseStreamingError", "ProtocolError",
                                        "IncompleteRead"), repr(err.value)
    assert s3.get_object(Bucket="cut", Key="k")["Body"].read() == b"x" * 100_000  # one use
    server.ok("POST", "faults", {"rules": [{"service": "s3", "operation": "GetObject", "stall_body_ms": 300}]})
    started = time.monotonic()
    assert s3.get_object(Bucket="cut", Key="k")["Body"].read() == b"x" * 100_000
    assert time.monotonic() - started >= 0.3


def test_request_counters_reset(server):
    server.client("sns").list_topics()
    assert server.ok("GET", "requests")["total"] == 1
    server.ok("DELETE", "requests")
    assert server.ok("GET", "requests") == {"total": 0, "counts": {}, "requests": []}


def test_trail_status_overrides_and_control_plane_history(server):
    server.ok("POST", "reset")
    server.client("s3").create_bucket(Bucket="trail-logs")
    ct = server.client("cloudtrail")
    arn = ct.create_trail(Name="main-trail", S3BucketName="trail-logs", IsMultiRegionTrail=True)["TrailARN"]
    ct.start_logging(Name=arn)  # by ARN, as AWS allows
    ct.stop_logging(Name="main-trail")
    status = ct.get_trail_status(Name="main-trail")
    assert status["IsLogging"] is False
    assert "LatestDeliveryError" not in status
    server.ok("POST", "trail-status", {"trail": arn, "fields": {
        "LatestDeliveryError": "AccessDenied", "LatestDigestDeliveryTime": 1767225600}})
    status = ct.get_trail_status(Name=arn)
    assert status["LatestDeliveryError"] == "AccessDenied"
    assert status["LatestDigestDeliveryTime"].year == 2026
    server.ok("POST", "trail-status", {"trail": "main-trail", "fields": {"LatestDeliveryError": None}})
    assert "LatestDeliveryError" not in ct.get_trail_status(Name="main-trail")
    # The control-plane calls are in the event history, newest first.
    events = ct.lookup_events(LookupAttributes=[{"AttributeKey": "EventName", "AttributeValue": "StopLogging"}])["Events"]
    assert len(events) == 1
    assert events[0]["Username"] == "AKIDTESTING"
    record = json.loads(events[0]["CloudTrailEvent"])
    assert record["requestParameters"] == {"name": "main-trail"}
    assert record["resources"][0]["ARN"] == arn
    names = [e["EventName"] for e in ct.lookup_events()["Events"]]
    assert names == ["StopLogging", "StartLogging", "CreateTrail"]
    # A failed call is not recorded.
    with pytest.raises(ClientError):
        ct.stop_logging(Name="no-such-trail")
    assert len(ct.lookup_events(LookupAttributes=[{"AttributeKey": "EventName", "AttributeValue": "StopLogging"}])["Events"]) == 1
    with pytest.raises(Exception):
        server.ok("POST", "trail-status", {"trail": "x"})
    # Every request member is recorded, in CloudTrail's lower camel case.
    ct.update_trail(Name=arn, EnableLogFileValidation=True, IncludeGlobalServiceEvents=True)
    events = ct.lookup_events(LookupAttributes=[{"AttributeKey": "EventName", "AttributeValue": "UpdateTrail"}])["Events"]
    record = json.loads(events[0]["CloudTrailEvent"])
    assert record["requestParameters"] == {"name": arn, "enableLogFileValidation": True,
                                           "includeGlobalServiceEvents": True}


def test_bucket_versioning_has_s3s_root_element(server):
    """moto roots GetBucketVersioning at <GetBucketVersioningResponse>; S3's
    (and the Rust SDK's) root is <VersioningConfiguration>."""
    server.ok("POST", "reset")
    s3 = server.client("s3")
    s3.create_bucket(Bucket="kept")
    seen = []
    s3.meta.events.register("after-call.s3.GetBucketVersioning",
                            lambda http_response, **_: seen.append(http_response.content))
    s3.put_bucket_versioning(Bucket="kept", VersioningConfiguration={"Status": "Enabled"})
    assert s3.get_bucket_versioning(Bucket="kept")["Status"] == "Enabled"
    assert b"<VersioningConfiguration" in seen[0] and b"GetBucketVersioningResponse" not in seen[0]


def test_bucket_notification_has_s3s_root_element(server):
    """moto answers an unconfigured bucket with <GetBucketNotificationResponse/>;
    S3's (and the SDKs') root is <NotificationConfiguration>."""
    server.ok("POST", "reset")
    s3 = server.client("s3")
    s3.create_bucket(Bucket="quiet")
    seen = []
    s3.meta.events.register("after-call.s3.GetBucketNotificationConfiguration",
                            lambda http_response, **_: seen.append(http_response.content))
    s3.get_bucket_notification_configuration(Bucket="quiet")
    assert b"<NotificationConfiguration" in seen[0] and b"GetBucketNotificationResponse" not in seen[0]
    s3.put_bucket_notification_configuration(Bucket="quiet", NotificationConfiguration={"EventBridgeConfiguration": {}})
    s3.get_bucket_notification_configuration(Bucket="quiet")
    assert seen[1].count(b"<NotificationConfiguration") == 1 and b"<EventBridgeConfiguration" in seen[1]


def test_sns_deliveries_per_protocol(server):
    server.ok("POST", "reset")
    sns = server.client("sns")
    sqs = server.client("sqs")
    topic = sns.create_topic(Name="t")["TopicArn"]
    queue_url = sqs.create_queue(QueueName="q")["QueueUrl"]
    queue_arn = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=queue_arn)
    structured = json.dumps({"default": "D", "email": "E", "https": "H"})
    sns.publish(TopicArn=topic, Subject="s1", Message=structured, MessageStructure="json")
    sns.publish_batch(
        TopicArn=topic,
        PublishBatchRequestEntries=[
            {"Id": "a", "Subject": "s2", "Message": structured, "MessageStructure": "json"},
            {"Id": "b", "Message": "plain"},
        ],
    )
    published = server.ok("GET", "sns")["published"]
    assert [p["subject"] for p in published] == ["s1", "s2", None]
    assert [p["id"] for p in published] == ["", "a", "b"]
    assert published[0]["delivered"]["email"] == "E"
    assert published[1]["delivered"]["https"] == "H"
    assert published[1]["delivered"]["sqs"] == "D"
    assert published[2]["delivered"]["email"] == "plain"
    # moto delivered the same to the queue: `default` for SQS.
    bodies = []
    while True:
        got = sqs.receive_message(QueueUrl=queue_url, MaxNumberOfMessages=10).get("Messages", [])
        if not got:
            break
        bodies += [json.loads(m["Body"])["Message"] for m in got]
    assert sorted(bodies) == ["D", "D", "plain"]
    # A refused publish is not recorded.
    with pytest.raises(ClientError):
        sns.publish(TopicArn=topic + "-missing", Message="x")
    assert len(server.ok("GET", "sns")["published"]) == 3
    server.ok("POST", "reset")
    assert server.ok("GET", "sns")["published"] == []


# --------------------------------------------------------------------------
# Latency and concurrency
# --------------------------------------------------------------------------


@pytest.fixture(scope="module")
def slow_server():
    emulator = Emulator("--port", "0", "--latency-ms", "250")
    yield emulator
    emulator.stop()


def test_latency_applies_to_aws_requests_only(slow_server):
    slow_server.ok("POST", "reset")
    s3 = slow_server.client("s3")
    started = time.monotonic()
    s3.list_buckets()
    assert time.monotonic() - started >= 0.25
    started = time.monotonic()
    slow_server.ok("GET", "health")
    assert time.monotonic() - started < 0.25


def test_concurrent_requests(slow_server):
    slow_server.ok("POST", "reset")
    s3 = slow_server.client("s3", max_pool_connections=32)
    s3.create_bucket(Bucket="par")
    with ThreadPoolExecutor(max_workers=32) as pool:
        list(pool.map(lambda i: s3.put_object(Bucket="par", Key=f"k{i}", Body=f"v{i}".encode()), range(32)))
    started = time.monotonic()
    with ThreadPoolExecutor(max_workers=32) as pool:
        bodies = list(pool.map(lambda i: s3.get_object(Bucket="par", Key=f"k{i}")["Body"].read(), range(32)))
    elapsed = time.monotonic() - started
    assert bodies == [f"v{i}".encode() for i in range(32)]
    assert elapsed < 32 * 0.25 / 3, f"requests were not served concurrently ({elapsed:.2f}s)"
    assert slow_server.counts()["s3:GetObject"] == 32
