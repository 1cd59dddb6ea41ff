#!/usr/bin/env python3
"""Local AWS emulator for trailguard's tests: moto's server plus what moto lacks.

Why this exists
---------------
trailguard's end-to-end tests and benchmarks talk to S3, SNS, SQS and
CloudTrail.  moto's server emulates most of that, but not everything the
tests need:

* CloudTrail ``ListPublicKeys`` and ``LookupEvents`` are not implemented by
  moto.  The digest-validation code needs the first, the event-history code
  the second.  This wrapper answers both itself, from keys and events the
  test registers through control endpoints, in exactly the AWS JSON 1.1 wire
  format a real SDK expects.
* Tests must be able to make AWS misbehave (throttling, 5xx errors, slow
  calls) and count how many calls a client made; moto has no such knobs.
* A benchmark needs a stand-in for S3's round-trip time (``--latency-ms``).

Everything else is handed to moto unchanged.  Request bodies of requests that
are passed through are never consumed: the middleware only reads a body when
it must (query-protocol ``Action=`` peeking, intercepted CloudTrail calls,
control endpoints), and then puts it back as a ``BytesIO`` with a matching
``CONTENT_LENGTH``.  S3 bodies are never read, except drained when a fault
rule answers instead of moto.

Usage::

    python3 server.py [--host 127.0.0.1] [--port 0] [--latency-ms 0] [--verbose]

Only loopback hosts are accepted.  Once listening, exactly one line
``READY http://HOST:PORT`` is printed to stdout.  SIGTERM/SIGINT stop the
server cleanly.

Control endpoints (plain JSON, no signing, never delayed, never counted)
-----------------------------------------------------------------------
``GET    /_trailguard/health``       -> ``{"ok": true}``
``POST   /_trailguard/public-keys``  register a CloudTrail public key::

        {"region": "us-east-1", "fingerprint": "...", "value_b64": "<DER, base64>",
         "validity_start": <epoch s>, "validity_end": <epoch s>}

``POST   /_trailguard/events``       register LookupEvents events::

        {"region": "us-east-1", "events": [{"EventId": ..., "EventName": ...,
         "ReadOnly": "true", "AccessKeyId": ..., "EventTime": <epoch s>,
         "EventSource": ..., "Username": ...,
         "Resources": [{"ResourceType": ..., "ResourceName": ...}],
         "CloudTrailEvent": "<json string or object>"}]}

    Missing ``EventId`` gets a UUID, missing ``EventTime`` the current time,
    missing ``CloudTrailEvent`` a record synthesised from the other fields.

``POST   /_trailguard/faults``       add fault rules (appended to existing ones)::

        {"rules": [{"service": "s3", "operation": "GetObject",
                    "path_contains": "/bucket/", "status": 503, "code": "SlowDown",
                    "message": "...", "count": 2, "delay_ms": 0}]}

    A rule matches AWS requests of ``service`` (SigV4 signing name), and if
    given ``operation`` and ``path_contains`` (substring of the URL path).
    The first rule with hits left answers; each answer uses up one of its
    ``count`` (default 1; ``count`` <= 0 means "until cleared").  A rule with
    ``status`` (or ``code``) answers with that error in the protocol's error
    form; a rule with only ``delay_ms`` just delays the request, which then
    proceeds normally; a rule with both delays, then fails. A rule with
    ``"cut_body": true`` lets moto answer, sends the headers (full
    ``Content-Length``) and half the body, then drops the connection;
    ``"stall_body_ms": N`` sends the other half only after N ms.
``DELETE /_trailguard/faults``       remove all fault rules.
``GET    /_trailguard/requests``     AWS requests seen since the last reset::

        {"total": 3, "counts": {"s3:GetObject": 2, "cloudtrail:LookupEvents": 1},
         "requests": [{"service": "s3", "operation": "GetObject", "count": 2}, ...]}

``DELETE /_trailguard/requests``     reset only the request counters.
``POST   /_trailguard/trail-status`` extra ``GetTrailStatus`` fields moto does
                                     not return, merged into its answer
                                     (``null`` removes a field)::

        {"trail": "main-trail", "fields": {"LatestDeliveryError": "AccessDenied",
         "LatestDigestDeliveryTime": 1767225600}}

                                     Successful CloudTrail control-plane calls
                                     (CreateTrail, StopLogging, StartLogging,
                                     UpdateTrail, DeleteTrail,
                                     PutEventSelectors) are added to the
                                     ``LookupEvents`` history, the caller's
                                     access key as user name. StartLogging,
                                     StopLogging and DeleteTrail take the
                                     trail's ARN as AWS does (moto alone
                                     takes only names).
``GET    /_trailguard/sns``          every message SNS accepted (Publish and
                                     PublishBatch), with what a subscriber of
                                     each protocol receives (``delivered``:
                                     its key of a ``MessageStructure=json``
                                     message, else ``default``), since moto
                                     delivers only to SQS, HTTP and Lambda.
``POST   /_trailguard/config``       ``{"public_keys_page_size": N|null,
                                        "latency_ms": N}`` (``null``/0 page
                                        size: all keys in one page).
``POST   /_trailguard/reset``        clear keys, events, faults, counters and
                                     config, and reset moto (``/moto-api/reset``).

Requests under ``/moto-api/`` go to moto untouched (not delayed, not counted).
"""

from __future__ import annotations

import argparse
import base64
import binascii
import datetime as dt
import gzip
import hashlib
import io
import ipaddress
import json
import logging
import os
import re
import signal
import sys
import threading
import time
import uuid
from urllib.parse import parse_qs
from xml.sax.saxutils import escape as xml_escape

from werkzeug.serving import make_server
from werkzeug.test import EnvironBuilder, run_wsgi_app

# botocore's data/cloudtrail/2013-11-01/service-2.json, metadata.targetPrefix
CLOUDTRAIL_TARGET_PREFIX = "com.amazonaws.cloudtrail.v20131101.CloudTrail_20131101"
CLOUDTRAIL_SHORT_PREFIX = "CloudTrail_20131101"
TARGET_LIST_PUBLIC_KEYS = CLOUDTRAIL_TARGET_PREFIX + ".ListPublicKeys"
TARGET_LOOKUP_EVENTS = CLOUDTRAIL_TARGET_PREFIX + ".LookupEvents"
# CloudTrail operations the middleware watches on their way through moto.
CLOUDTRAIL_OBSERVED = {
    "GetTrailStatus", "StopLogging", "StartLogging", "UpdateTrail", "DeleteTrail",
    "PutEventSelectors", "CreateTrail",
}

CONTROL_PREFIX = "/_trailguard/"
DEFAULT_REGION = "us-east-1"
ACCOUNT_ID = "123456789012"  # moto's default account
LOOKUP_ATTRIBUTE_KEYS = (
    "EventId",
    "EventName",
    "ReadOnly",
    "Username",
    "ResourceType",
    "ResourceName",
    "EventSource",
    "AccessKeyId",
)
LOOKUP_MAX_RESULTS = 50

# Error envelope namespaces of query-protocol services (others get a generic one).
QUERY_XMLNS = {
    "sns": "http://sns.amazonaws.com/doc/2010-03-31/",
    "sqs": "http://queue.amazonaws.com/doc/2012-11-05/",
    "sts": "https://sts.amazonaws.com/doc/2011-06-15/",
    "iam": "https://iam.amazonaws.com/doc/2010-05-08/",
}

# S3 bucket sub-resources -> the suffix of the Get/Put/Delete<X> operation name.
S3_BUCKET_SUBRESOURCES = {
    "policy": "BucketPolicy",
    "versioning": "BucketVersioning",
    "tagging": "BucketTagging",
    "acl": "BucketAcl",
    "cors": "BucketCors",
    "lifecycle": "BucketLifecycleConfiguration",
    "notification": "BucketNotificationConfiguration",
    "encryption": "BucketEncryption",
    "logging": "BucketLogging",
    "website": "BucketWebsite",
    "replication": "BucketReplication",
    "object-lock": "ObjectLockConfiguration",
    "publicAccessBlock": "PublicAccessBlock",
    "ownershipControls": "BucketOwnershipControls",
    "accelerate": "BucketAccelerateConfiguration",
    "requestPayment": "BucketRequestPayment",
    "policyStatus": "BucketPolicyStatus",
}
# S3 answers moto roots at "<Operation>Response", and S3's own root elements.
S3_RESPONSE_ROOTS = {
    "GetBucketVersioning": (b"GetBucketVersioningResponse", b"VersioningConfiguration"),
    "GetBucketNotificationConfiguration": (b"GetBucketNotificationResponse", b"NotificationConfiguration"),
}
S3_OBJECT_SUBRESOURCES = {
    "tagging": "ObjectTagging",
    "acl": "ObjectAcl",
    "retention": "ObjectRetention",
    "legal-hold": "ObjectLegalHold",
    "attributes": "ObjectAttributes",
}

log = logging.getLogger("trailguard-emulator")


# --------------------------------------------------------------------------
# Small helpers
# --------------------------------------------------------------------------


class ApiError(Exception):
    """An AWS-style error raised by the CloudTrail stand-ins."""

    def __init__(self, code: str, message: str, status: int = 400):
        super().__init__(message)
        self.code = code
        self.message = message
        self.status = status


class ControlError(Exception):
    """A bad control-endpoint request (400)."""


def now() -> float:
    return time.time()


def epoch_number(value: float):
    """Epoch seconds as a JSON number: an int when integral, else a float."""
    return int(value) if float(value).is_integer() else float(value)


def parse_timestamp(value, what: str, error=ApiError) -> float:
    """Accept epoch seconds (number or numeric string) or ISO 8601."""
    if isinstance(value, bool):
        raise _bad_value(error, what, value)
    if isinstance(value, (int, float)):
        return float(value)
    if isinstance(value, str):
        try:
            return float(value)
        except ValueError:
            pass
        try:
            parsed = dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            raise _bad_value(error, what, value) from None
        if parsed.tzinfo is None:
            parsed = parsed.replace(tzinfo=dt.timezone.utc)
        return parsed.timestamp()
    raise _bad_value(error, what, value)


def _bad_value(error, what, value):
    if error is ApiError:
        return ApiError("SerializationException", f"Invalid value for {what}: {value!r}")
    return error(f"invalid {what}: {value!r}")


def iso8601(epoch: float) -> str:
    return dt.datetime.fromtimestamp(epoch, dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def encode_token(payload: dict) -> str:
    raw = json.dumps(payload, sort_keys=True, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_token(token) -> dict | None:
    if not isinstance(token, str) or not token:
        return None
    try:
        raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
        payload = json.loads(raw)
    except (ValueError, binascii.Error):
        return None
    return payload if isinstance(payload, dict) else None


def fingerprint_params(params) -> str:
    raw = json.dumps(params, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(raw.encode()).hexdigest()[:16]


def request_parameters(params: dict) -> dict:
    """A JSON-protocol request as a CloudTrail record's requestParameters:
    every member the caller sent, its name in lower camel case (the API's
    `S3BucketName` is recorded as `s3BucketName`, `Name` as `name`), as the
    CloudTrail User Guide's record examples show for CloudTrail's own calls
    ("CloudTrail record contents for management events")."""
    def camel(name: str) -> str:
        return name[:1].lower() + name[1:]

    def convert(value):
        if isinstance(value, dict):
            return {camel(k): convert(v) for k, v in value.items()}
        if isinstance(value, list):
            return [convert(v) for v in value]
        return value

    return convert(params) if isinstance(params, dict) else {}


def header_pairs(headers: dict) -> list[tuple[str, str]]:
    return [(k, str(v)) for k, v in headers.items()]


def wsgi_path(environ) -> str:
    """PATH_INFO as text (WSGI hands it over as latin-1-decoded bytes)."""
    path = environ.get("PATH_INFO", "") or ""
    try:
        return path.encode("latin-1").decode("utf-8", "replace")
    except UnicodeEncodeError:
        return path


def is_loopback_host(host: str) -> bool:
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


# --------------------------------------------------------------------------
# Request body handling (never lose a body that moto still needs)
# --------------------------------------------------------------------------


def read_body(environ) -> bytes:
    """Read the whole request body and put it back as a BytesIO."""
    stream = environ.get("wsgi.input")
    if stream is None:
        return b""
    try:
        length = int(environ.get("CONTENT_LENGTH") or 0)
    except ValueError:
        length = 0
    if environ.get("wsgi.input_terminated"):
        body = stream.read()
    elif length > 0:
        chunks, remaining = [], length
        while remaining > 0:
            chunk = stream.read(remaining)
            if not chunk:
                break
            chunks.append(chunk)
            remaining -= len(chunk)
        body = b"".join(chunks)
    else:
        body = b""
    environ["wsgi.input"] = io.BytesIO(body)
    environ["CONTENT_LENGTH"] = str(len(body))
    return body


def drain_body(environ) -> None:
    """Discard an unread body before answering without moto, so the client is
    not cut off (connection reset) while it is still uploading."""
    stream = environ.get("wsgi.input")
    if stream is None:
        return
    try:
        length = int(environ.get("CONTENT_LENGTH") or 0)
    except ValueError:
        length = 0
    try:
        if environ.get("wsgi.input_terminated"):
            while stream.read(65536):
                pass
        else:
            while length > 0:
                chunk = stream.read(min(length, 65536))
                if not chunk:
                    break
                length -= len(chunk)
    except (OSError, ValueError):
        pass


# --------------------------------------------------------------------------
# Classifying an AWS request: service, region, operation, protocol
# --------------------------------------------------------------------------

CREDENTIAL_RE = re.compile(r"Credential=([^,\s]+)")


class AwsRequest:
    """What the middleware needs to know about one AWS request."""

    def __init__(self, environ):
        self.environ = environ
        self.method = environ.get("REQUEST_METHOD", "GET").upper()
        self.path = wsgi_path(environ)
        self.query = parse_qs(environ.get("QUERY_STRING", ""), keep_blank_values=True)
        self.target = environ.get("HTTP_X_AMZ_TARGET", "") or ""
        # botocore sends the full targetPrefix; Smithy SDKs (Rust, Go v2, Java
        # v2) send the service shape name alone. AWS accepts both.
        if self.target.startswith(CLOUDTRAIL_SHORT_PREFIX + "."):
            self.target = CLOUDTRAIL_TARGET_PREFIX + self.target[len(CLOUDTRAIL_SHORT_PREFIX):]
        self.content_type = (environ.get("CONTENT_TYPE", "") or "").lower()
        self.service, self.region = self._credential_scope()
        if (
            self.service == "unsigned"
            and not self.target
            and "Action" not in self.query
            and not self.content_type.startswith("application/x-www-form-urlencoded")
        ):
            self.service = "s3"  # anonymous requests: moto's default backend is S3 too
        self.body: bytes | None = None
        self.protocol = self._protocol()
        self.operation = self._operation()

    def _credential_scope(self) -> tuple[str, str]:
        credential = None
        match = CREDENTIAL_RE.search(self.environ.get("HTTP_AUTHORIZATION", "") or "")
        if match:
            credential = match.group(1)
        elif "X-Amz-Credential" in self.query:  # presigned URL
            credential = self.query["X-Amz-Credential"][0]
        if credential:
            parts = credential.split("/")
            if len(parts) >= 5:
                return parts[-2].lower(), parts[-3]
        if self.target.startswith(CLOUDTRAIL_TARGET_PREFIX + "."):
            return "cloudtrail", DEFAULT_REGION
        return "unsigned", DEFAULT_REGION

    def _protocol(self) -> str:
        if self.service == "s3" and not self.target:
            return "s3"
        if self.target:
            return "json"
        if self.service == "ec2":
            return "ec2"
        if "Action" in self.query or self.content_type.startswith(
            "application/x-www-form-urlencoded"
        ):
            return "query"
        return "rest-json"

    def _operation(self) -> str | None:
        if self.protocol == "json":
            return self.target.rsplit(".", 1)[-1]
        if self.protocol == "s3":
            return self._s3_operation()
        if self.protocol in ("query", "ec2"):
            return self._query_action()
        return None

    def _query_action(self) -> str | None:
        if "Action" in self.query:
            return self.query["Action"][0]
        if not self.content_type.startswith("application/x-www-form-urlencoded"):
            return None
        self.body = read_body(self.environ)  # re-wrapped as BytesIO
        body = self.body
        if "gzip" in (self.environ.get("HTTP_CONTENT_ENCODING", "") or "").lower():
            try:
                body = gzip.decompress(body)
            except OSError:
                return None
        form = parse_qs(body.decode("utf-8", "replace"), keep_blank_values=True)
        return form.get("Action", [None])[0]

    def _s3_bucket_and_key(self) -> tuple[str, str]:
        host = (self.environ.get("HTTP_HOST", "") or "").lower()
        if host.startswith("["):
            host = host.split("]")[0] + "]"
        else:
            host = host.split(":")[0]
        path = self.path.lstrip("/")
        virtual_bucket = None
        if host.endswith(".localhost"):
            virtual_bucket = host[: -len(".localhost")]
        else:
            match = re.match(r"^(.+)\.s3[.-]", host)
            if match:
                virtual_bucket = match.group(1)
        if virtual_bucket:
            return virtual_bucket, path
        bucket, _, key = path.partition("/")
        return bucket, key

    def _s3_operation(self) -> str:
        bucket, key = self._s3_bucket_and_key()
        q, m = self.query, self.method
        copy = "HTTP_X_AMZ_COPY_SOURCE" in self.environ
        verb = {"GET": "Get", "PUT": "Put", "DELETE": "Delete"}.get(m)
        if not bucket:
            return "ListBuckets" if m == "GET" else f"{m.title()}Service"
        if not key:
            if m == "HEAD":
                return "HeadBucket"
            if m == "POST" and "delete" in q:
                return "DeleteObjects"
            if m == "GET":
                if "location" in q:
                    return "GetBucketLocation"
                if "versions" in q:
                    return "ListObjectVersions"
                if "uploads" in q:
                    return "ListMultipartUploads"
            for sub, name in S3_BUCKET_SUBRESOURCES.items():
                if sub in q and verb:
                    return verb + name
            if m == "GET":
                return "ListObjectsV2" if q.get("list-type") == ["2"] else "ListObjects"
            if m == "PUT":
                return "CreateBucket"
            if m == "DELETE":
                return "DeleteBucket"
            return f"{m.title()}Bucket"
        if m == "HEAD":
            return "HeadObject"
        if m == "POST":
            if "uploads" in q:
                return "CreateMultipartUpload"
            if "uploadId" in q:
                return "CompleteMultipartUpload"
            if "restore" in q:
                return "RestoreObject"
            return "PostObject"
        if "uploadId" in q:
            if m == "PUT":
                return "UploadPartCopy" if copy else "UploadPart"
            if m == "GET":
                return "ListParts"
            if m == "DELETE":
                return "AbortMultipartUpload"
        for sub, name in S3_OBJECT_SUBRESOURCES.items():
            if sub in q and verb:
                return verb + name
        if m == "PUT":
            return "CopyObject" if copy else "PutObject"
        if m == "GET":
            return "GetObject"
        if m == "DELETE":
            return "DeleteObject"
        return f"{m.title()}Object"


# --------------------------------------------------------------------------
# AWS-shaped responses
# --------------------------------------------------------------------------


def request_id() -> str:
    return str(uuid.uuid4())


def json_content_type(req: AwsRequest) -> str:
    if req.content_type.startswith("application/x-amz-json-1.0"):
        return "application/x-amz-json-1.0"
    if req.content_type.startswith("application/x-amz-json-"):
        return "application/x-amz-json-1.1"
    return "application/json" if req.protocol == "rest-json" else "application/x-amz-json-1.1"


def json_success(req: AwsRequest, payload: dict):
    body = json.dumps(payload).encode()
    headers = {
        "Content-Type": json_content_type(req),
        "Content-Length": str(len(body)),
        "x-amzn-RequestId": request_id(),
    }
    return 200, headers, body


def aws_error(req: AwsRequest, status: int, code: str, message: str):
    """An error in the form the request's protocol uses."""
    rid = request_id()
    fault_type = "Receiver" if status >= 500 else "Sender"
    if req.protocol == "s3":
        headers = {
            "Content-Type": "application/xml",
            "x-amz-request-id": rid.replace("-", "")[:16].upper(),
            "x-amz-id-2": base64.b64encode(os.urandom(48)).decode(),
        }
        body = (
            '<?xml version="1.0" encoding="UTF-8"?>\n'
            f"<Error><Code>{xml_escape(code)}</Code>"
            f"<Message>{xml_escape(message)}</Message>"
            f"<RequestId>{headers['x-amz-request-id']}</RequestId>"
            f"<HostId>{headers['x-amz-id-2']}</HostId></Error>"
        ).encode()
        if req.method == "HEAD":  # S3 sends no body for HEAD errors
            body = b""
    elif req.protocol == "query":
        xmlns = QUERY_XMLNS.get(req.service, f"https://{req.service}.amazonaws.com/doc/")
        headers = {"Content-Type": "text/xml", "x-amzn-RequestId": rid}
        body = (
            f'<ErrorResponse xmlns="{xmlns}">'
            f"<Error><Type>{fault_type}</Type><Code>{xml_escape(code)}</Code>"
            f"<Message>{xml_escape(message)}</Message></Error>"
            f"<RequestId>{rid}</RequestId></ErrorResponse>"
        ).encode()
    elif req.protocol == "ec2":
        headers = {"Content-Type": "text/xml;charset=UTF-8"}
        body = (
            "<Response><Errors><Error>"
            f"<Code>{xml_escape(code)}</Code><Message>{xml_escape(message)}</Message>"
            f"</Error></Errors><RequestID>{rid}</RequestID></Response>"
        ).encode()
    else:  # AWS JSON 1.0/1.1 and REST-JSON
        headers = {
            "Content-Type": json_content_type(req),
            "x-amzn-RequestId": rid,
            "x-amzn-ErrorType": code,
        }
        if req.service == "sqs":  # awsQueryCompatible: SDKs take the code from here
            headers["x-amzn-query-error"] = f"{code};{fault_type}"
        payload = {"__type": code, "message": message}
        if req.protocol == "rest-json":
            payload["Message"] = message
        body = json.dumps(payload).encode()
    headers["Content-Length"] = str(len(body))
    return status, headers, body


# --------------------------------------------------------------------------
# Stand-in state: public keys, events, faults, counters
# --------------------------------------------------------------------------


class State:
    def __init__(self, latency_ms: float):
        self.lock = threading.Lock()
        self.default_latency_ms = latency_ms
        self.clear()

    def clear(self) -> None:
        self.keys: dict[str, list[dict]] = {}
        self.events: dict[str, list[dict]] = {}
        self.event_seq = 0
        self.faults: list[dict] = []
        self.counts: dict[tuple[str, str], int] = {}
        self.public_keys_page_size: int | None = None
        self.latency_ms = self.default_latency_ms
        self.sns_published: list[dict] = []
        self.trail_status: dict[str, dict] = {}
        # Buckets whose notification configuration enables EventBridge
        # (moto stores it but leaves it out of its GET answer).
        self.eventbridge_buckets: set[str] = set()

    # -- CloudTrail: status fields moto lacks, and event history ---------

    def set_trail_status(self, body: dict) -> dict:
        trail = body.get("trail")
        fields = body.get("fields")
        if not isinstance(trail, str) or not trail or not isinstance(fields, dict):
            raise ControlError("expected {'trail': NAME_OR_ARN, 'fields': {...}}")
        name = trail.rsplit("/", 1)[-1]
        with self.lock:
            self.trail_status.setdefault(name, {}).update(fields)
            return {"ok": True, "trail": name, "fields": self.trail_status[name]}

    def trail_status_overrides(self, name_or_arn: str) -> dict:
        with self.lock:
            return dict(self.trail_status.get(str(name_or_arn).rsplit("/", 1)[-1], {}))

    def record_control_plane_call(self, req: "AwsRequest", params: dict) -> None:
        """Adds a successful CloudTrail control-plane call to the region's
        event history, as CloudTrail itself records it, with the caller's
        access key as its user name."""
        match = CREDENTIAL_RE.search(req.environ.get("HTTP_AUTHORIZATION", "") or "")
        access_key = match.group(1).split("/")[0] if match else "anonymous"
        name = params.get("Name") or params.get("TrailName") or ""
        arn = name if str(name).startswith("arn:") else f"arn:aws:cloudtrail:{req.region}:{ACCOUNT_ID}:trail/{name}"
        event_id = str(uuid.uuid4())
        at = now()
        record = {
            "eventVersion": "1.09",
            "userIdentity": {"type": "IAMUser", "principalId": access_key, "accountId": ACCOUNT_ID,
                             "arn": f"arn:aws:iam::{ACCOUNT_ID}:user/{access_key}", "userName": access_key,
                             "accessKeyId": access_key},
            "eventTime": iso8601(at), "eventSource": "cloudtrail.amazonaws.com", "eventName": req.operation,
            "awsRegion": req.region, "sourceIPAddress": "127.0.0.1",
            "userAgent": req.environ.get("HTTP_USER_AGENT", "") or "unknown",
            "requestParameters": request_parameters(params), "responseElements": None,
            "requestID": str(uuid.uuid4()), "eventID": event_id, "readOnly": False,
            "resources": [{"type": "AWS::CloudTrail::Trail", "ARN": arn}],
            "eventType": "AwsApiCall", "managementEvent": True, "recipientAccountId": ACCOUNT_ID,
            "eventCategory": "Management",
        }
        self.add_events({"region": req.region, "events": [{
            "EventId": event_id, "EventName": req.operation, "EventSource": "cloudtrail.amazonaws.com",
            "Username": access_key, "AccessKeyId": access_key, "ReadOnly": False, "EventTime": at,
            "Resources": [{"ResourceType": "AWS::CloudTrail::Trail", "ResourceName": arn}],
            "CloudTrailEvent": record,
        }]})

    # -- SNS deliveries -------------------------------------------------

    # Protocols whose subscribers get their own key of a MessageStructure=json
    # message (else `default`), as SNS delivers them.
    SNS_PROTOCOLS = ("email", "email-json", "http", "https", "sqs", "lambda", "sms")

    @staticmethod
    def sns_entries(req: "AwsRequest") -> list[dict]:
        """The messages of a Publish or PublishBatch request (query protocol)."""
        body = req.body or b""
        if "gzip" in (req.environ.get("HTTP_CONTENT_ENCODING", "") or "").lower():
            body = gzip.decompress(body)
        form = {k: v[0] for k, v in parse_qs(body.decode("utf-8", "replace"), keep_blank_values=True).items()}
        topic = form.get("TopicArn") or form.get("TargetArn") or ""
        if req.operation == "Publish":
            items = [("", form)]
        else:
            prefix = "PublishBatchRequestEntries.member."
            by_index: dict[int, dict] = {}
            for k, v in form.items():
                if k.startswith(prefix):
                    index, _, field = k[len(prefix):].partition(".")
                    if index.isdigit():
                        by_index.setdefault(int(index), {})[field] = v
            items = [(str(i), by_index[i]) for i in sorted(by_index)]
        out = []
        for entry_id, f in items:
            out.append({
                "topic": topic,
                "id": f.get("Id", entry_id),
                "subject": f.get("Subject"),
                "structure": f.get("MessageStructure"),
                "message": f.get("Message", ""),
            })
        return out

    def record_sns(self, entries: list[dict]) -> None:
        for e in entries:
            delivered = {}
            if e["structure"] == "json":
                try:
                    parts = json.loads(e["message"])
                except ValueError:
                    parts = {}
                for proto in self.SNS_PROTOCOLS:
                    delivered[proto] = parts.get(proto, parts.get("default"))
            else:
                delivered = {proto: e["message"] for proto in self.SNS_PROTOCOLS}
            with self.lock:
                self.sns_published.append({**e, "delivered": delivered})

    def sns_report(self) -> dict:
        with self.lock:
            return {"ok": True, "published": list(self.sns_published)}

    # -- counters -------------------------------------------------------

    def count(self, service: str, operation: str | None) -> None:
        key = (service, operation or "unknown")
        with self.lock:
            self.counts[key] = self.counts.get(key, 0) + 1

    def counts_report(self) -> dict:
        with self.lock:
            items = sorted(self.counts.items())
        return {
            "total": sum(n for _, n in items),
            "counts": {f"{s}:{o}": n for (s, o), n in items},
            "requests": [{"service": s, "operation": o, "count": n} for (s, o), n in items],
        }

    # -- faults ---------------------------------------------------------

    def add_faults(self, rules) -> int:
        if not isinstance(rules, list):
            raise ControlError("'rules' must be a list")
        parsed = []
        for rule in rules:
            if not isinstance(rule, dict) or not isinstance(rule.get("service"), str):
                raise ControlError("each rule needs a 'service' string")
            count = rule.get("count", 1)
            if count is None:
                count = 0
            if not isinstance(count, int) or isinstance(count, bool):
                raise ControlError("'count' must be an integer")
            has_error = rule.get("status") is not None or rule.get("code") is not None
            delay_ms = rule.get("delay_ms")
            cut_body = bool(rule.get("cut_body"))
            stall_body_ms = rule.get("stall_body_ms")
            if not has_error and not delay_ms and not cut_body and not stall_body_ms:
                raise ControlError("a rule needs 'status'/'code', 'delay_ms', 'cut_body' or 'stall_body_ms'")
            try:
                status = int(rule.get("status") or 500)
                delay = float(delay_ms or 0)
            except (TypeError, ValueError):
                raise ControlError("'status' and 'delay_ms' must be numbers") from None
            parsed.append(
                {
                    "service": rule["service"].lower(),
                    "operation": rule.get("operation"),
                    "path_contains": rule.get("path_contains"),
                    "error": has_error,
                    "status": status,
                    "code": str(rule.get("code") or "InternalError"),
                    "message": str(rule.get("message") or "Fault injected by the trailguard emulator"),
                    "delay_ms": delay,
                    "cut_body": cut_body,
                    "stall_body_ms": float(stall_body_ms or 0),
                    "remaining": count if count > 0 else None,  # None = unlimited
                }
            )
        with self.lock:
            self.faults.extend(parsed)
            return len(self.faults)

    def take_fault(self, req: AwsRequest) -> dict | None:
        with self.lock:
            for rule in self.faults:
                if rule["service"] != req.service:
                    continue
                if rule["operation"] and rule["operation"] != req.operation:
                    continue
                if rule["path_contains"] and rule["path_contains"] not in req.path:
                    continue
                if rule["remaining"] is not None:
                    rule["remaining"] -= 1
                    if rule["remaining"] <= 0:
                        self.faults.remove(rule)
                return dict(rule)
        return None

    # -- public keys ----------------------------------------------------

    def add_public_key(self, body: dict) -> None:
        region = body.get("region") or DEFAULT_REGION
        fingerprint = body.get("fingerprint")
        if not isinstance(fingerprint, str) or not fingerprint:
            raise ControlError("'fingerprint' is required")
        try:
            der = base64.b64decode(body.get("value_b64") or "", validate=True)
        except (binascii.Error, TypeError, ValueError):
            raise ControlError("'value_b64' must be base64") from None
        if not der:
            raise ControlError("'value_b64' is required")
        start = parse_timestamp(body.get("validity_start"), "validity_start", ControlError)
        end = parse_timestamp(body.get("validity_end"), "validity_end", ControlError)
        if start > end:
            raise ControlError("validity_start is after validity_end")
        key = {"Value": der, "ValidityStartTime": start, "ValidityEndTime": end, "Fingerprint": fingerprint}
        with self.lock:
            self.keys.setdefault(region, []).append(key)

    def list_public_keys(self, region: str, params: dict) -> dict:
        current = now()
        end = parse_timestamp(params["EndTime"], "EndTime") if params.get("EndTime") is not None else current
        if params.get("StartTime") is not None:
            start = parse_timestamp(params["StartTime"], "StartTime")
        else:  # AWS: no StartTime -> the key(s) current at EndTime/now
            start = min(current, end)
        if start > end:
            raise ApiError("InvalidTimeRangeException", "Start time must be before end time.")
        with self.lock:
            keys = [
                k
                for k in self.keys.get(region, [])
                if k["ValidityStartTime"] <= end and k["ValidityEndTime"] >= start
            ]
            page_size = self.public_keys_page_size
        keys.sort(key=lambda k: (k["ValidityStartTime"], k["ValidityEndTime"], k["Fingerprint"]))

        fp = fingerprint_params([region, params.get("StartTime"), params.get("EndTime")])
        offset = 0
        if params.get("NextToken") is not None:
            token = decode_token(params["NextToken"])
            if not token or token.get("fp") != fp or not isinstance(token.get("offset"), int):
                raise ApiError("InvalidTokenException", "Invalid NextToken.")
            offset = token["offset"]
        page = keys[offset:] if not page_size else keys[offset : offset + page_size]
        result = {
            "PublicKeyList": [
                {
                    "Value": base64.b64encode(k["Value"]).decode(),
                    "ValidityStartTime": epoch_number(k["ValidityStartTime"]),
                    "ValidityEndTime": epoch_number(k["ValidityEndTime"]),
                    "Fingerprint": k["Fingerprint"],
                }
                for k in page
            ]
        }
        if offset + len(page) < len(keys):
            result["NextToken"] = encode_token({"offset": offset + len(page), "fp": fp})
        return result

    # -- events ---------------------------------------------------------

    def add_events(self, body: dict) -> int:
        region = body.get("region") or DEFAULT_REGION
        events = body.get("events")
        if not isinstance(events, list):
            raise ControlError("'events' must be a list")
        prepared = [self._prepare_event(region, e) for e in events]
        with self.lock:
            stored = self.events.setdefault(region, [])
            for event in prepared:
                self.event_seq += 1
                event["_seq"] = self.event_seq
                stored.append(event)
        return len(prepared)

    @staticmethod
    def _prepare_event(region: str, raw) -> dict:
        if not isinstance(raw, dict):
            raise ControlError("each event must be an object")
        event = {}
        for field in ("EventId", "EventName", "AccessKeyId", "EventSource", "Username"):
            if raw.get(field) is not None:
                event[field] = str(raw[field])
        event.setdefault("EventId", str(uuid.uuid4()))
        read_only = raw.get("ReadOnly")
        if isinstance(read_only, bool):
            read_only = "true" if read_only else "false"
        if read_only is not None:
            event["ReadOnly"] = str(read_only)
        event["EventTime"] = (
            parse_timestamp(raw["EventTime"], "EventTime", ControlError)
            if raw.get("EventTime") is not None
            else now()
        )
        resources = raw.get("Resources") or []
        if not isinstance(resources, list) or not all(isinstance(r, dict) for r in resources):
            raise ControlError("'Resources' must be a list of objects")
        event["Resources"] = [
            {k: str(r[k]) for k in ("ResourceType", "ResourceName") if r.get(k) is not None}
            for r in resources
        ]
        record = raw.get("CloudTrailEvent")
        if record is None:
            record = {
                "eventVersion": "1.09",
                "userIdentity": {
                    "type": "IAMUser",
                    "accountId": ACCOUNT_ID,
                    "userName": event.get("Username"),
                    "accessKeyId": event.get("AccessKeyId"),
                },
                "eventTime": iso8601(event["EventTime"]),
                "eventSource": event.get("EventSource"),
                "eventName": event.get("EventName"),
                "awsRegion": region,
                "sourceIPAddress": "127.0.0.1",
                "userAgent": "trailguard-emulator",
                "requestParameters": None,
                "responseElements": None,
                "requestID": str(uuid.uuid4()),
                "eventID": event["EventId"],
                "readOnly": event.get("ReadOnly") == "true",
                "resources": [
                    {"type": r.get("ResourceType"), "ARN": r.get("ResourceName")}
                    for r in event["Resources"]
                ],
                "eventType": "AwsApiCall",
                "managementEvent": True,
                "recipientAccountId": ACCOUNT_ID,
                "eventCategory": "Management",
            }
        event["CloudTrailEvent"] = record if isinstance(record, str) else json.dumps(record)
        return event

    def lookup_events(self, region: str, params: dict) -> dict:
        attributes = params.get("LookupAttributes") or []
        if not isinstance(attributes, list) or len(attributes) > 1:
            raise ApiError(
                "InvalidLookupAttributesException",
                "You cannot specify more than one lookup attribute.",
            )
        attribute = None
        if attributes:
            attr = attributes[0]
            key = attr.get("AttributeKey") if isinstance(attr, dict) else None
            value = attr.get("AttributeValue") if isinstance(attr, dict) else None
            if key not in LOOKUP_ATTRIBUTE_KEYS or not isinstance(value, str) or not value:
                raise ApiError("InvalidLookupAttributesException", "Invalid lookup attribute.")
            attribute = (key, value)

        category = params.get("EventCategory")
        if category is not None and category != "insight":
            raise ApiError("InvalidEventCategoryException", f"Invalid event category: {category}")

        max_results = params.get("MaxResults", LOOKUP_MAX_RESULTS)
        if (
            not isinstance(max_results, int)
            or isinstance(max_results, bool)
            or not 1 <= max_results <= LOOKUP_MAX_RESULTS
        ):
            raise ApiError(
                "InvalidMaxResultsException",
                f"MaxResults must be between 1 and {LOOKUP_MAX_RESULTS}.",
            )

        start = parse_timestamp(params["StartTime"], "StartTime") if params.get("StartTime") is not None else None
        end = parse_timestamp(params["EndTime"], "EndTime") if params.get("EndTime") is not None else None
        if start is not None and end is not None and start > end:
            raise ApiError("InvalidTimeRangeException", "Start time must be before end time.")

        fp = fingerprint_params([region, attribute, params.get("StartTime"), params.get("EndTime"), category])
        after = None  # sort key of the last event of the previous page
        if params.get("NextToken") is not None:
            token = decode_token(params["NextToken"])
            if not token or token.get("fp") != fp or not isinstance(token.get("after"), list):
                raise ApiError("InvalidNextTokenException", "Invalid NextToken.")
            after = tuple(token["after"])

        if category == "insight":  # no Insights events are ever recorded here
            return {"Events": []}

        with self.lock:
            candidates = list(self.events.get(region, []))
        matching = [
            e
            for e in candidates
            if (start is None or e["EventTime"] >= start)
            and (end is None or e["EventTime"] <= end)
            and (attribute is None or self._matches(e, *attribute))
        ]
        # Newest first; ties: most recently registered first.
        matching.sort(key=lambda e: (-e["EventTime"], -e["_seq"]))
        if after is not None:
            matching = [e for e in matching if (-e["EventTime"], -e["_seq"]) > after]
        page = matching[:max_results]
        result = {"Events": [self._render_event(e) for e in page]}
        if len(matching) > len(page):
            last = page[-1]
            result["NextToken"] = encode_token({"after": [-last["EventTime"], -last["_seq"]], "fp": fp})
        return result

    @staticmethod
    def _matches(event: dict, key: str, value: str) -> bool:
        if key == "ResourceType":
            return any(r.get("ResourceType") == value for r in event["Resources"])
        if key == "ResourceName":
            return any(r.get("ResourceName") == value for r in event["Resources"])
        return event.get(key) == value

    @staticmethod
    def _render_event(event: dict) -> dict:
        out = {}
        for field in ("EventId", "EventName", "ReadOnly", "AccessKeyId"):
            if field in event:
                out[field] = event[field]
        out["EventTime"] = epoch_number(event["EventTime"])
        for field in ("EventSource", "Username"):
            if field in event:
                out[field] = event[field]
        out["Resources"] = [dict(r) for r in event["Resources"]]
        out["CloudTrailEvent"] = event["CloudTrailEvent"]
        return out


# --------------------------------------------------------------------------
# The middleware
# --------------------------------------------------------------------------

STATUS_TEXT = {
    200: "OK",
    400: "Bad Request",
    403: "Forbidden",
    404: "Not Found",
    405: "Method Not Allowed",
    409: "Conflict",
    429: "Too Many Requests",
    500: "Internal Server Error",
    502: "Bad Gateway",
    503: "Service Unavailable",
    504: "Gateway Timeout",
}


class TrailguardEmulator:
    """WSGI middleware in front of moto's DomainDispatcherApplication."""

    def __init__(self, moto_app, latency_ms: float = 0.0):
        self.moto_app = moto_app
        self.state = State(latency_ms)

    @staticmethod
    def _respond(start_response, status: int, headers: dict, body: bytes):
        start_response(f"{status} {STATUS_TEXT.get(status, 'Status')}", header_pairs(headers))
        return [body]

    def __call__(self, environ, start_response):
        path = environ.get("PATH_INFO", "") or ""
        if path.startswith(CONTROL_PREFIX):
            return self._control(environ, start_response)
        if path.startswith("/moto-api") or path == "/favicon.ico":
            return self.moto_app(environ, start_response)
        return self._aws(environ, start_response)

    # -- AWS requests ---------------------------------------------------

    def _aws(self, environ, start_response):
        req = AwsRequest(environ)
        self.state.count(req.service, req.operation)

        latency = self.state.latency_ms
        if latency > 0:
            time.sleep(latency / 1000.0)

        fault = self.state.take_fault(req)
        if fault:
            if fault["delay_ms"] > 0:
                time.sleep(fault["delay_ms"] / 1000.0)
            if fault["error"]:
                if req.body is None:
                    drain_body(environ)
                status, headers, body = aws_error(req, fault["status"], fault["code"], fault["message"])
                return self._respond(start_response, status, headers, body)
            if fault["cut_body"] or fault["stall_body_ms"] > 0:
                if req.body is not None:
                    # The request body was read to route it: give moto a copy.
                    environ["wsgi.input"] = io.BytesIO(req.body)
                    environ["CONTENT_LENGTH"] = str(len(req.body))
                return self._cut_body(environ, start_response, fault["stall_body_ms"])

        if req.target in (TARGET_LIST_PUBLIC_KEYS, TARGET_LOOKUP_EVENTS):
            return self._cloudtrail(req, start_response)
        if req.target.startswith(CLOUDTRAIL_TARGET_PREFIX + ".") and req.operation in CLOUDTRAIL_OBSERVED:
            return self._cloudtrail_observed(req, environ, start_response)
        if req.service == "sns" and req.operation in ("Publish", "PublishBatch") and req.body is not None:
            entries = self.state.sns_entries(req)

            def recording_start_response(status, headers, exc_info=None):
                if status.startswith("200"):
                    self.state.record_sns(entries)
                return start_response(status, headers, exc_info) if exc_info else start_response(status, headers)

            return self.moto_app(environ, recording_start_response)
        if req.service == "s3" and req.operation == "PutBucketNotificationConfiguration":
            bucket = req._s3_bucket_and_key()[0]
            body = read_body(environ)
            status, headers, payload = self._moto(environ)
            if status.startswith("200"):
                with self.state.lock:
                    if b"<EventBridgeConfiguration" in body:
                        self.state.eventbridge_buckets.add(bucket)
                    else:
                        self.state.eventbridge_buckets.discard(bucket)
            return self._respond(start_response, int(status.split(" ", 1)[0]), dict(headers), payload)
        if req.service == "s3" and req.operation in S3_RESPONSE_ROOTS:
            return self._s3_root(req, environ, start_response)
        return self.moto_app(environ, start_response)

    def _s3_root(self, req: AwsRequest, environ, start_response):
        """S3 answers whose root element moto names after the operation
        (``<GetBucketVersioningResponse>``, ``<GetBucketNotificationResponse/>``),
        which the Rust SDK refuses, renamed to S3's own root (Amazon S3 API
        Reference, each operation's "Response Syntax": ``VersioningConfiguration``,
        ``NotificationConfiguration``). moto also leaves
        ``EventBridgeConfiguration`` out of every notification answer; S3
        includes it when EventBridge is on, so it is added from what was put."""
        status, headers, payload = self._moto(environ)
        if status.startswith("200"):
            wrong, right = S3_RESPONSE_ROOTS[req.operation]
            payload = re.sub(rb"<(/?)" + wrong + rb"\b", rb"<\1" + right, payload)
        if status.startswith("200") and req.operation == "GetBucketNotificationConfiguration":
            with self.state.lock:
                eventbridge = req._s3_bucket_and_key()[0] in self.state.eventbridge_buckets
            if eventbridge and b"<EventBridgeConfiguration" not in payload:
                if re.search(rb"<NotificationConfiguration[^>]*/>", payload):
                    payload = re.sub(rb"<NotificationConfiguration([^>]*)/>",
                                     rb"<NotificationConfiguration\1></NotificationConfiguration>", payload)
                payload = payload.replace(b"</NotificationConfiguration>",
                                          b"<EventBridgeConfiguration></EventBridgeConfiguration></NotificationConfiguration>")
        pairs = [(k, v) for k, v in headers.items() if k.lower() != "content-length"]
        pairs.append(("Content-Length", str(len(payload))))
        start_response(status, pairs)
        return [payload]

    def _moto(self, environ):
        """moto's whole answer to a request: status line, headers, body."""
        app_iter, status, headers = run_wsgi_app(self.moto_app, environ)
        try:
            payload = b"".join(app_iter)
        finally:
            if hasattr(app_iter, "close"):
                app_iter.close()
        return status, headers, payload

    def _cut_body(self, environ, start_response, stall_ms: float = 0.0):
        """moto answers; the client gets the headers (with the full
        Content-Length) and half the body, then the connection drops; or,
        with ``stall_ms``, the rest of the body only after that pause."""
        status, headers, payload = self._moto(environ)
        pairs = [(k, v) for k, v in headers.items() if k.lower() != "content-length"]
        pairs.append(("Content-Length", str(len(payload))))
        start_response(status, pairs)

        def half_then_drop():
            yield payload[: len(payload) // 2]
            if stall_ms > 0:
                time.sleep(stall_ms / 1000.0)
                yield payload[len(payload) // 2:]
                return
            raise ConnectionAbortedError("trailguard emulator: body cut short (fault rule)")

        return half_then_drop()

    def _cloudtrail_observed(self, req: AwsRequest, environ, start_response):
        """moto answers; GetTrailStatus gets the configured extra fields, and a
        successful control-plane call is added to the event history."""
        body = read_body(environ) if req.body is None else req.body
        try:
            params = json.loads(body or b"{}")
        except ValueError:
            params = {}
        if not isinstance(params, dict):
            params = {}
        # AWS takes a trail's name or ARN in StartLogging, StopLogging and
        # DeleteTrail; moto only looks names up. Give moto the name.
        name = params.get("Name")
        if req.operation in ("StartLogging", "StopLogging", "DeleteTrail") and isinstance(name, str) and ":trail/" in name:
            rewritten = dict(params, Name=name.rsplit(":trail/", 1)[1])
            data = json.dumps(rewritten).encode()
            environ["wsgi.input"] = io.BytesIO(data)
            environ["CONTENT_LENGTH"] = str(len(data))
        status, headers, payload = self._moto(environ)
        code = int(status.split(" ", 1)[0])
        if code == 200 and req.operation == "GetTrailStatus":
            extra = self.state.trail_status_overrides(params.get("Name", ""))
            if extra:
                doc = json.loads(payload or b"{}")
                for k, v in extra.items():
                    if v is None:
                        doc.pop(k, None)
                    else:
                        doc[k] = v
                payload = json.dumps(doc).encode()
        elif code == 200:
            self.state.record_control_plane_call(req, params)
        headers = [(k, v) for k, v in headers if k.lower() != "content-length"]
        headers.append(("Content-Length", str(len(payload))))
        start_response(status, headers)
        return [payload]

    def _cloudtrail(self, req: AwsRequest, start_response):
        body = read_body(req.environ) if req.body is None else req.body
        try:
            try:
                params = json.loads(body or b"{}")
            except ValueError:
                raise ApiError("SerializationException", "Request body is not valid JSON.") from None
            if not isinstance(params, dict):
                raise ApiError("SerializationException", "Request body must be a JSON object.")
            if req.target == TARGET_LIST_PUBLIC_KEYS:
                result = self.state.list_public_keys(req.region, params)
            else:
                result = self.state.lookup_events(req.region, params)
        except ApiError as err:
            status, headers, payload = aws_error(req, err.status, err.code, err.message)
            return self._respond(start_response, status, headers, payload)
        status, headers, payload = json_success(req, result)
        return self._respond(start_response, status, headers, payload)

    # -- control endpoints ----------------------------------------------

    def _control(self, environ, start_response):
        method = environ.get("REQUEST_METHOD", "GET").upper()
        name = environ.get("PATH_INFO", "")[len(CONTROL_PREFIX) :].strip("/")
        raw = read_body(environ)
        try:
            body = json.loads(raw) if raw.strip() else {}
            if not isinstance(body, dict):
                raise ControlError("body must be a JSON object")
            status, result = self._control_dispatch(method, name, body)
        except ValueError as err:  # includes json.JSONDecodeError
            status, result = 400, {"ok": False, "error": f"invalid JSON: {err}"}
        except ControlError as err:
            status, result = 400, {"ok": False, "error": str(err)}
        payload = json.dumps(result).encode()
        headers = {"Content-Type": "application/json", "Content-Length": str(len(payload))}
        return self._respond(start_response, status, headers, payload)

    def _control_dispatch(self, method: str, name: str, body: dict) -> tuple[int, dict]:
        state = self.state
        routes = {
            ("GET", "health"): lambda: {"ok": True},
            ("POST", "public-keys"): lambda: (state.add_public_key(body), {"ok": True})[1],
            ("POST", "events"): lambda: {"ok": True, "added": state.add_events(body)},
            ("POST", "faults"): lambda: {"ok": True, "rules": state.add_faults(body.get("rules"))},
            ("DELETE", "faults"): lambda: (self._clear_faults(), {"ok": True})[1],
            ("GET", "requests"): state.counts_report,
            ("GET", "sns"): state.sns_report,
            ("POST", "trail-status"): lambda: state.set_trail_status(body),
            ("DELETE", "requests"): lambda: (self._clear_counts(), {"ok": True})[1],
            ("POST", "config"): lambda: self._configure(body),
            ("POST", "reset"): self._reset,
        }
        handler = routes.get((method, name))
        if handler is None:
            known = any(n == name for _, n in routes)
            return (405 if known else 404), {"ok": False, "error": f"no such control endpoint: {method} /_trailguard/{name}"}
        return 200, handler()

    def _clear_faults(self) -> None:
        with self.state.lock:
            self.state.faults = []

    def _clear_counts(self) -> None:
        with self.state.lock:
            self.state.counts = {}

    def _configure(self, body: dict) -> dict:
        state = self.state
        with state.lock:
            if "public_keys_page_size" in body:
                size = body["public_keys_page_size"]
                if size is not None and (not isinstance(size, int) or isinstance(size, bool) or size < 0):
                    raise ControlError("'public_keys_page_size' must be a non-negative integer or null")
                state.public_keys_page_size = size or None
            if "latency_ms" in body:
                try:
                    latency = float(body["latency_ms"] or 0)
                except (TypeError, ValueError):
                    raise ControlError("'latency_ms' must be a number") from None
                state.latency_ms = max(0.0, latency)
            return {
                "ok": True,
                "public_keys_page_size": state.public_keys_page_size,
                "latency_ms": state.latency_ms,
            }

    def _reset(self) -> dict:
        with self.state.lock:
            self.state.clear()
        environ = EnvironBuilder(path="/moto-api/reset", method="POST").get_environ()
        status, _, _ = self._moto(environ)
        if not status.startswith("200"):
            raise ControlError(f"moto reset failed: {status}")
        return {"ok": True}


# --------------------------------------------------------------------------
# Entry point
# --------------------------------------------------------------------------


def build_app(latency_ms: float = 0.0) -> TrailguardEmulator:
    # moto 5: the same app `moto_server` and ThreadedMotoServer run.
    from moto.moto_server.werkzeug_app import DomainDispatcherApplication, create_backend_app

    return TrailguardEmulator(DomainDispatcherApplication(create_backend_app), latency_ms)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--host", default="127.0.0.1", help="loopback address to bind (default 127.0.0.1)")
    parser.add_argument("--port", type=int, default=0, help="port to bind; 0 picks a free one (default)")
    parser.add_argument("--latency-ms", type=float, default=0.0, help="delay before every AWS request")
    parser.add_argument("--verbose", action="store_true", help="log every request to stderr")
    args = parser.parse_args(argv)

    if not is_loopback_host(args.host):
        print(f"server.py: refusing to listen on non-loopback host {args.host!r}", file=sys.stderr)
        return 2
    if not 0 <= args.port <= 65535 or args.latency_ms < 0:
        print("server.py: invalid --port or --latency-ms", file=sys.stderr)
        return 2

    logging.basicConfig(level=logging.INFO if args.verbose else logging.WARNING, stream=sys.stderr)
    if not args.verbose:
        logging.getLogger("werkzeug").setLevel(logging.ERROR)

    host = args.host.strip("[]")
    if host.lower() == "localhost":
        host = "127.0.0.1"
    app = build_app(args.latency_ms)
    try:
        server = make_server(host, args.port, app, threaded=True)
    except OSError as err:
        print(f"server.py: cannot listen on {host}:{args.port}: {err}", file=sys.stderr)
        return 1
    port = server.server_address[1]
    os.environ["MOTO_PORT"] = str(port)  # moto builds some self-referencing URLs from it

    def stop(signum, frame):
        # shutdown() waits for serve_forever() to return: call it off the main thread.
        threading.Thread(target=server.shutdown, daemon=True).start()

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)

    shown = f"[{host}]" if ":" in host else host
    sys.stdout.write(f"READY http://{shown}:{port}\n")
    sys.stdout.flush()
    try:
        server.serve_forever()
    finally:
        server.server_close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
