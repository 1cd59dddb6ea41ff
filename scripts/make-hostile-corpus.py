#!/usr/bin/env python3
"""Writes the hostile-input corpus in tests/hostile/files/ (committed; rerun
after changing a case). Each file's expected outcome is in
tests/hostile/manifest.json and is checked by shared/tests/hostile.rs.
The gzip header's timestamp is fixed so the output is reproducible."""

import base64
import gzip
import json
import pathlib

OUT = pathlib.Path(__file__).resolve().parent.parent / "tests" / "hostile" / "files"
OUT.mkdir(parents=True, exist_ok=True)
for old in OUT.iterdir():
    old.unlink()


def gz(b: bytes) -> bytes:
    return gzip.compress(b, mtime=0, compresslevel=9)


def write(name: str, data: bytes) -> None:
    (OUT / name).write_bytes(data)


def record(**over):
    r = {"eventVersion": "1.09", "userIdentity": {"type": "IAMUser", "arn": "arn:aws:iam::111122223333:user/alice",
                                                   "accountId": "111122223333"},
         "eventTime": "2026-01-15T00:03:00Z", "eventSource": "ec2.amazonaws.com", "eventName": "DescribeInstances",
         "awsRegion": "us-east-1", "sourceIPAddress": "203.0.113.7", "userAgent": "aws-cli/2",
         "requestID": "req-1", "eventID": "11111111-2222-3333-4444-555555555555", "eventType": "AwsApiCall",
         "recipientAccountId": "111122223333", "readOnly": True}
    r.update(over)
    return r


def log(records) -> bytes:
    return json.dumps({"Records": records}).encode()


good = log([record()])

# --- log files (integrity validator, trailguard scan) --------------------
write("log-valid.json.gz", gz(good))
# 64 MiB of JSON whitespace after a valid prefix: inflates past the 16 MiB
# cap the test sets; the stream is stopped there.
write("log-gzip-bomb-64mib.json.gz", gz(b'{"Records":[' + b" " * (64 << 20) + b"]}"))
write("log-truncated.json.gz", gz(good)[:-20])
write("log-concatenated.json.gz", gz(good) + gz(good))
write("log-trailing-garbage.json.gz", gz(good) + b"\x00garbage")
write("log-not-gzip.json", good)
write("log-empty-file.json.gz", b"")
write("log-deeply-nested.json.gz", gz(b'{"Records":[{"eventName":"X","a":' + b"[" * 100_000 + b"]" * 100_000 + b"}]}"))
write("log-huge-single-event.json.gz", gz(log([record(requestParameters={"policy": "A" * (8 << 20)})])))
write("log-invalid-utf8.json.gz", gz(good.replace(b"DescribeInstances", b"Describe\xff\xfeInstances")))
dup = good.replace(b'"eventName": "DescribeInstances"', b'"eventName": "StopLogging", "eventName": "DescribeInstances"')
write("log-duplicate-keys.json.gz", gz(dup))
write("log-number-for-string.json.gz", gz(log([record(eventName=5, eventTime=1768435380)])))
write("log-records-not-array.json.gz", gz(b'{"Records": {"eventName": "X"}}'))
write("log-truncated-json.json.gz", gz(good[:-7]))
write("log-nul-and-unicode.json.gz", gz(log([record(userAgent="\u0000\u202e\ufeff\U0001F600 evil\r\nInjected: header")])))

# --- lines and bare records (trailguard scan) -----------------------------
write("scan-jsonl-with-junk.jsonl", b"\n".join([json.dumps(record()).encode(), b"not json", b"{\"a\":", json.dumps(record(eventID="x2")).encode()]))
write("scan-deeply-nested-line.jsonl", b"[" * 100_000 + b"]" * 100_000)

# --- digest files ----------------------------------------------------------
BUCKET = "trailguard-demo-logs"
DKEY = ("AWSLogs/111122223333/CloudTrail-Digest/us-east-1/2026/01/15/"
        "111122223333_CloudTrail-Digest_us-east-1_main-trail_us-east-1_20260115T010000Z.json.gz")


def digest(files):
    return {"awsAccountId": "111122223333", "digestStartTime": "2026-01-15T00:00:00Z",
            "digestEndTime": "2026-01-15T01:00:00Z", "digestS3Bucket": BUCKET, "digestS3Object": DKEY,
            "digestPublicKeyFingerprint": "0123456789abcdef0123456789abcdef",
            "digestSignatureAlgorithm": "SHA256withRSA", "newestEventTime": None, "oldestEventTime": None,
            "previousDigestS3Bucket": None, "previousDigestS3Object": None, "previousDigestHashValue": None,
            "previousDigestHashAlgorithm": None, "previousDigestSignature": None, "logFiles": files}


def listed(i, bucket=BUCKET, account="111122223333"):
    return {"s3Bucket": bucket,
            "s3Object": f"AWSLogs/{account}/CloudTrail/us-east-1/2026/01/15/{account}_CloudTrail_us-east-1_20260115T00{i % 60:02d}Z_{i:016d}.json.gz",
            "hashValue": "00" * 32, "hashAlgorithm": "SHA-256",
            "newestEventTime": "2026-01-15T00:05:00Z", "oldestEventTime": "2026-01-15T00:01:00Z"}


write("digest-thousands-of-files.json.gz", gz(json.dumps(digest([listed(i) for i in range(5000)])).encode()))
write("digest-other-bucket-and-account.json.gz",
      gz(json.dumps(digest([listed(1, bucket="attacker-bucket"), listed(2, account="999988887777")])).encode()))
write("digest-gzip-bomb.json.gz", gz(b'{"logFiles":[' + b" " * (64 << 20) + b"]}"))
write("digest-not-json.json.gz", gz(b"<Error><Code>AccessDenied</Code></Error>"))
write("digest-bad-times.json.gz", gz(json.dumps({**digest([]), "digestEndTime": "yesterday"}).encode()))
write("digest-unknown-fields.json.gz", gz(json.dumps({**digest([listed(1)]), "futureField": {"x": [1]}}).encode()))

# --- CloudWatch Logs subscription payloads (alert router) -----------------


def awslogs(message: bytes) -> bytes:
    return json.dumps({"awslogs": {"data": base64.b64encode(gz(message)).decode()}}).encode()


def data_message(messages):
    return json.dumps({"messageType": "DATA_MESSAGE", "owner": "111122223333", "logGroup": "trail",
                       "logStream": "s", "subscriptionFilters": ["f"],
                       "logEvents": [{"id": str(i), "timestamp": 0, "message": m} for i, m in enumerate(messages)]}).encode()


write("cwlogs-gzip-bomb.json", awslogs(b'{"messageType":"DATA_MESSAGE","logEvents":[' + b" " * (64 << 20) + b"]}"))
write("cwlogs-not-base64.json", b'{"awslogs": {"data": "%%%not base64%%%"}}')
write("cwlogs-not-gzip.json", json.dumps({"awslogs": {"data": base64.b64encode(b"plain").decode()}}).encode())
write("cwlogs-huge-event.json", awslogs(data_message([json.dumps(record(requestParameters={"p": "B" * (2 << 20)}))])))
write("cwlogs-mixed-junk.json", awslogs(data_message([
    json.dumps(record(eventName="StopLogging", eventSource="cloudtrail.amazonaws.com", requestParameters={"name": "main-trail"})),
    "not json", "[" * 100_000, json.dumps({"no": "eventName"}), "\udcff" if False else "\u0000"])))
write("cwlogs-unknown-type.json", awslogs(b'{"messageType": "SURPRISE"}'))
write("cwlogs-wrong-shape.json", b'{"awslogs": {"data": 5}}')

# --- Lambda payloads for the integrity validator ---------------------------


def s3_event(key: str):
    return {"Records": [{"eventVersion": "2.1", "eventSource": "aws:s3", "awsRegion": "us-east-1",
                         "eventTime": "2026-01-15T00:00:00Z", "eventName": "ObjectCreated:Put",
                         "s3": {"bucket": {"name": BUCKET}, "object": {"key": key, "size": 1}}}]}


write("event-url-encoded-unicode-key.json", json.dumps(s3_event(
    "AWSLogs/111122223333/CloudTrail/us-east-1/2026/01/15/caf%C3%A9+%E2%82%AC%2B.json.gz")).encode())
write("event-overlong-utf8-key.json", json.dumps(s3_event("AWSLogs/%C0%AF..%C0%AFsecret")).encode())
write("event-bad-escape-key.json", json.dumps(s3_event("AWSLogs/%ZZ%2")).encode())
write("event-nul-key.json", json.dumps(s3_event("AWSLogs/111122223333/%00.json.gz")).encode())
write("event-sqs-body-not-json.json", json.dumps({"Records": [{"messageId": "m1", "eventSource": "aws:sqs",
                                                               "body": "{truncated"}]}).encode())
write("event-unknown-shape.json", b'{"detail-type": "Something Else", "detail": {}}')
write("event-duplicate-keys.json", json.dumps(s3_event("AWSLogs/a.json.gz")).replace(
    '"key": "AWSLogs/a.json.gz"', '"key": "AWSLogs/a.json.gz", "key": "AWSLogs/b.json.gz"').encode())

# --- Sigma rules -----------------------------------------------------------
RULE = """title: {title}
id: 5b8e3a34-6f3e-4c4e-9d39-{suffix}
status: experimental
logsource:
  product: aws
  service: cloudtrail
detection:
{detection}
level: high
"""
write("rule-catastrophic-regex.yml", RULE.format(title="Catastrophic regex", suffix="000000000001", detection="""  selection:
    userAgent|re: '^(a+)+$'
  condition: selection""").encode())
write("rule-huge-regex.yml", RULE.format(title="Huge regex", suffix="000000000002", detection="""  selection:
    userAgent|re: '(\\w{1000}){1000}'
  condition: selection""").encode())
write("rule-deep-condition.yml", RULE.format(title="Deep condition", suffix="000000000003", detection="""  selection:
    eventName: X
  condition: """ + "(" * 10_000 + "selection" + ")" * 10_000).encode())
write("rule-billion-laughs.yml", (RULE.format(title="Aliases", suffix="000000000004", detection="""  a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]
  b: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]
  c: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]
  d: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c]
  e: &e [*d,*d,*d,*d,*d,*d,*d,*d,*d]
  f: &f [*e,*e,*e,*e,*e,*e,*e,*e,*e]
  g: &g [*f,*f,*f,*f,*f,*f,*f,*f,*f]
  selection:
    eventName: *g
  condition: selection""")).encode())
write("rule-not-utf8.yml", b"title: \xff\xfe\n")
write("rule-deeply-nested-yaml.yml", RULE.format(title="Nested", suffix="000000000005",
      detection="  selection:\n    eventName: " + "[" * 100_000 + "]" * 100_000 + "\n  condition: selection").encode())
print(f"wrote {len(list(OUT.iterdir()))} files to {OUT}")
