"""The chain a deployed trailguard hangs on, outside the trail, made (and
broken) in the emulator as template.yaml makes it (or as an owner who
attaches trailguard to an existing trail has it): the log bucket's public
access block, bucket policy (the CloudTrail User Guide's "Amazon S3 bucket
policy for CloudTrail"), EventBridge notifications, the rule and queue that
feed the integrity validator, and the log group's subscription filter to the
alert router. The watchdog's end-to-end tests use it through the real SDK
adapters.

    python3 tests/emulator/guard_chain.py setup --bucket B --trail-arn ARN --log-group G
        prints {"rule": ARN, "queue_url": URL, "queue_arn": ARN, "router": ARN, "log_group": G}
    python3 tests/emulator/guard_chain.py break LINK [LINK...]   (same options)

AWS_ENDPOINT_URL must name the local emulator (loopback only).
"""

from __future__ import annotations

import argparse
import io
import json
import os
import sys
import zipfile
from urllib.parse import urlparse

import boto3

RULE = "trailguard-log-objects"
QUEUE = "trailguard-validator"
ROUTER = "trailguard-alert-router"
FILTER = "trailguard"

LINKS = ("bucket_events", "versioning", "public_access", "policy", "rule_disabled",
         "rule_deleted", "target", "queue", "subscription")


def loopback_only() -> None:
    url = os.environ.get("AWS_ENDPOINT_URL", "")
    host = urlparse(url).hostname or ""
    if not (host == "localhost" or host.startswith("127.")):
        sys.exit(f"guard_chain: AWS_ENDPOINT_URL {url!r} is not the local emulator")


def policy(bucket: str, account: str, trail_arn: str) -> str:
    # CloudTrail User Guide, "Amazon S3 bucket policy for CloudTrail".
    return json.dumps({"Version": "2012-10-17", "Statement": [
        {"Sid": "AWSCloudTrailAclCheck20150319", "Effect": "Allow",
         "Principal": {"Service": "cloudtrail.amazonaws.com"}, "Action": "s3:GetBucketAcl",
         "Resource": f"arn:aws:s3:::{bucket}",
         "Condition": {"StringEquals": {"aws:SourceArn": trail_arn}}},
        {"Sid": "AWSCloudTrailWrite20150319", "Effect": "Allow",
         "Principal": {"Service": "cloudtrail.amazonaws.com"}, "Action": "s3:PutObject",
         "Resource": f"arn:aws:s3:::{bucket}/AWSLogs/{account}/*",
         "Condition": {"StringEquals": {"s3:x-amz-acl": "bucket-owner-full-control",
                                        "aws:SourceArn": trail_arn}}},
    ]})


def setup(args) -> dict:
    account = args.trail_arn.split(":")[4]
    s3 = boto3.client("s3")
    s3.put_public_access_block(Bucket=args.bucket, PublicAccessBlockConfiguration={
        "BlockPublicAcls": True, "IgnorePublicAcls": True,
        "BlockPublicPolicy": True, "RestrictPublicBuckets": True})
    s3.put_bucket_policy(Bucket=args.bucket, Policy=policy(args.bucket, account, args.trail_arn))
    s3.put_bucket_notification_configuration(
        Bucket=args.bucket, NotificationConfiguration={"EventBridgeConfiguration": {}})
    sqs = boto3.client("sqs")
    queue_url = sqs.create_queue(QueueName=QUEUE)["QueueUrl"]
    queue_arn = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    events = boto3.client("events")
    rule = events.put_rule(Name=RULE, State="ENABLED", EventPattern=json.dumps({
        "source": ["aws.s3"], "detail-type": ["Object Created", "Object Deleted"],
        "detail": {"bucket": {"name": [args.bucket]}}}))["RuleArn"]
    events.put_targets(Rule=RULE, Targets=[{"Id": "validator-queue", "Arn": queue_arn}])
    iam = boto3.client("iam")
    try:
        role = iam.create_role(RoleName="trailguard-router", AssumeRolePolicyDocument=json.dumps({
            "Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "sts:AssumeRole",
                                                    "Principal": {"Service": "lambda.amazonaws.com"}}]}))["Role"]["Arn"]
    except iam.exceptions.EntityAlreadyExistsException:
        role = iam.get_role(RoleName="trailguard-router")["Role"]["Arn"]
    code = io.BytesIO()
    with zipfile.ZipFile(code, "w") as z:
        z.writestr("bootstrap", "#!/bin/sh\n")
    router = boto3.client("lambda").create_function(
        FunctionName=ROUTER, Runtime="provided.al2023", Role=role, Handler="bootstrap",
        Code={"ZipFile": code.getvalue()})["FunctionArn"]
    logs = boto3.client("logs")
    try:
        logs.create_log_group(logGroupName=args.log_group)
    except logs.exceptions.ResourceAlreadyExistsException:
        pass
    logs.put_subscription_filter(logGroupName=args.log_group, filterName=FILTER,
                                 filterPattern="", destinationArn=router)
    return {"rule": rule, "queue_url": queue_url, "queue_arn": queue_arn, "router": router,
            "log_group": args.log_group}


def break_links(args) -> dict:
    s3 = boto3.client("s3")
    sqs = boto3.client("sqs")
    events = boto3.client("events")
    for link in args.links:
        if link == "bucket_events":
            s3.put_bucket_notification_configuration(Bucket=args.bucket, NotificationConfiguration={})
        elif link == "versioning":
            s3.put_bucket_versioning(Bucket=args.bucket, VersioningConfiguration={"Status": "Suspended"})
        elif link == "public_access":
            s3.delete_public_access_block(Bucket=args.bucket)
        elif link == "policy":
            # CloudTrail's write statement dropped: delivery would stop.
            doc = json.loads(s3.get_bucket_policy(Bucket=args.bucket)["Policy"])
            doc["Statement"] = [s for s in doc["Statement"] if s.get("Action") != "s3:PutObject"]
            s3.put_bucket_policy(Bucket=args.bucket, Policy=json.dumps(doc))
        elif link == "rule_disabled":
            events.disable_rule(Name=RULE)
        elif link == "rule_deleted":
            events.remove_targets(Rule=RULE, Ids=["validator-queue"])
            events.delete_rule(Name=RULE)
        elif link == "target":
            events.remove_targets(Rule=RULE, Ids=["validator-queue"])
        elif link == "queue":
            sqs.delete_queue(QueueUrl=sqs.get_queue_url(QueueName=QUEUE)["QueueUrl"])
        elif link == "subscription":
            boto3.client("logs").delete_subscription_filter(logGroupName=args.log_group, filterName=FILTER)
        else:
            sys.exit(f"guard_chain: unknown link {link!r} (expected one of {', '.join(LINKS)})")
    return {"broken": args.links}


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("command", choices=["setup", "break"])
    p.add_argument("links", nargs="*")
    p.add_argument("--bucket", required=True)
    p.add_argument("--trail-arn", required=True)
    p.add_argument("--log-group", required=True)
    args = p.parse_args(argv)
    loopback_only()
    out = setup(args) if args.command == "setup" else break_links(args)
    print(json.dumps(out))
    return 0


if __name__ == "__main__":
    sys.exit(main())
