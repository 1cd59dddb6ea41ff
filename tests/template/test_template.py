"""template.yaml against the code it deploys: every environment variable a
function is given is one the code reads (a typo would be silently ignored
at run time), the variables each function needs are set, each function's
binary exists, and each role allows the AWS calls its function's code
makes, with no wildcard action. The linters (scripts/check-template.sh)
check the template's shape; this checks that it matches trailguard."""

from __future__ import annotations

import pathlib
import re

import yaml

ROOT = pathlib.Path(__file__).resolve().parents[2]


class CfnLoader(yaml.SafeLoader):
    """YAML with CloudFormation's short-form intrinsic functions."""


def _intrinsic(loader, tag_suffix, node):
    name = "Ref" if tag_suffix == "Ref" else ("Condition" if tag_suffix == "Condition" else f"Fn::{tag_suffix}")
    if isinstance(node, yaml.ScalarNode):
        value = loader.construct_scalar(node)
    elif isinstance(node, yaml.SequenceNode):
        value = loader.construct_sequence(node, deep=True)
    else:
        value = loader.construct_mapping(node, deep=True)
    return {name: value}


CfnLoader.add_multi_constructor("!", _intrinsic)
TEMPLATE = yaml.load((ROOT / "template.yaml").read_text(), Loader=CfnLoader)
RESOURCES = TEMPLATE["Resources"]

# The variables the code reads: shared/src/config.rs's constants, and the
# per-check modes.
CONFIG = (ROOT / "shared" / "src" / "config.rs").read_text()
KNOWN = set(re.findall(r'pub const [A-Z_]+: &str = "(TRAILGUARD_[A-Z_]+)"', CONFIG))
CHECKS = ["LOGGING", "DELIVERY", "MULTI_REGION", "GLOBAL_SERVICE_EVENTS", "LOG_FILE_VALIDATION",
          "KMS_ENCRYPTION", "CLOUDWATCH_LOGS", "EVENT_SELECTORS"]
KNOWN |= {f"TRAILGUARD_CHECK_{c}" for c in CHECKS}
OTHER_OK = {"RUST_LOG", "AWS_LAMBDA_LOG_FORMAT"}

FUNCTIONS = {
    "IntegrityValidatorFunction": {
        "binary": "integrity-validator",
        "needs": {"TRAILGUARD_SNS_TOPIC_ARN", "TRAILGUARD_TRAIL_NAME"},
        # What the code calls (shared/src/aws): S3 GetObject (and versions)
        # and ListObjectsV2, HeadBucket (region), CloudTrail ListPublicKeys and
        # DescribeTrails (locate), SNS Publish, SQS (the event source).
        "actions": {"s3:GetObject", "s3:ListBucket", "cloudtrail:ListPublicKeys", "sns:Publish",
                    "sqs:ReceiveMessage", "sqs:DeleteMessage"},
        # What the platform needs on the function's behalf: the SQS event
        # source mapping, KMS through S3
        # and SNS, its own log group.
        "platform": {"sqs:GetQueueAttributes", "kms:Decrypt", "kms:GenerateDataKey",
                     "logs:CreateLogStream", "logs:PutLogEvents"},
    },
    "AlertRouterFunction": {
        "binary": "alert-router",
        "needs": {"TRAILGUARD_SNS_TOPIC_ARN", "TRAILGUARD_LOG_BUCKET", "TRAILGUARD_TRAIL_NAME",
                  "TRAILGUARD_SEVERITY_TOPICS"},
        "actions": {"sns:Publish"},
        # Rules from S3 (only with RulesBucketName), the on-failure
        # destination, KMS through SNS and SQS, its own log group.
        "platform": {"s3:GetObject", "s3:ListBucket", "sqs:SendMessage", "kms:Decrypt", "kms:GenerateDataKey",
                     "logs:CreateLogStream", "logs:PutLogEvents"},
    },
    "LoggingWatchdogFunction": {
        "binary": "logging-watchdog",
        "needs": {"TRAILGUARD_SNS_TOPIC_ARN", "TRAILGUARD_STATE_BUCKET", "TRAILGUARD_WATCHDOG_TRAILS"},
        "actions": {"cloudtrail:DescribeTrails", "cloudtrail:GetTrailStatus", "cloudtrail:GetEventSelectors",
                    "cloudtrail:LookupEvents", "cloudtrail:StartLogging", "cloudtrail:UpdateTrail",
                    "cloudtrail:PutEventSelectors", "s3:GetObject", "s3:PutObject", "sns:Publish"},
        # Passing the trail's CloudWatch Logs role and using its key in
        # UpdateTrail, a missing state object read as 404 (ListBucket), the
        # dead-letter destination, KMS through S3 and SNS, its own log group.
        "platform": {"iam:PassRole", "kms:Decrypt", "kms:GenerateDataKey", "s3:ListBucket", "sqs:SendMessage",
                     "logs:CreateLogStream", "logs:PutLogEvents"},
    },
}


def statements_for_role(role_name: str) -> list[dict]:
    """Every statement that applies to a role: inline policies and
    AWS::IAM::Policy resources attached to it."""
    out = []
    role = RESOURCES[role_name]["Properties"]
    for p in role.get("Policies", []):
        out += p["PolicyDocument"]["Statement"]
    for res in RESOURCES.values():
        if res.get("Type") in ("AWS::IAM::Policy", "AWS::IAM::ManagedPolicy"):
            roles = res["Properties"].get("Roles", [])
            if {"Ref": role_name} in roles:
                out += res["Properties"]["PolicyDocument"]["Statement"]
    return out


def branches(statements: list) -> list[dict]:
    """The statements, with both branches of each Fn::If statement (a
    conditional statement is still a permission the role may hold)."""
    out = []
    for s in statements:
        if isinstance(s, dict) and "Fn::If" in s:
            out += branches([b for b in s["Fn::If"][1:] if isinstance(b, dict) and "Ref" not in b])
        elif isinstance(s, dict):
            out.append(s)
    return out


def actions(statements: list[dict]) -> set[str]:
    found = set()
    for s in branches(statements):
        if s.get("Effect") != "Allow":
            continue
        a = s.get("Action", [])
        found |= {a} if isinstance(a, str) else set(a)
    return found


def test_every_variable_is_one_the_code_reads_and_the_needed_ones_are_set():
    for name, spec in FUNCTIONS.items():
        props = RESOURCES[name]["Properties"]
        variables = set(props.get("Environment", {}).get("Variables", {}))
        unknown = {v for v in variables if v not in KNOWN and v not in OTHER_OK}
        assert not unknown, f"{name}: variables the code never reads: {sorted(unknown)}"
        missing = spec["needs"] - variables
        assert not missing, f"{name}: missing {sorted(missing)}"


def test_every_variable_the_code_reads_is_in_a_readme_table():
    readme = (ROOT / "README.md").read_text()
    rows = "\n".join(line for line in readme.splitlines() if line.startswith("| `TRAILGUARD_"))
    undocumented = {v for v in KNOWN if f"`{v}`" not in rows and not v.startswith("TRAILGUARD_CHECK_")}
    assert not undocumented, f"configuration variables missing from README's tables: {sorted(undocumented)}"
    check_row = next((line for line in rows.splitlines() if line.startswith("| `TRAILGUARD_CHECK_<CHECK>`")), "")
    assert check_row, "README has no TRAILGUARD_CHECK_<CHECK> row"
    for check in CHECKS:
        assert check.lower() in check_row, f"check {check} not named in README's TRAILGUARD_CHECK_<CHECK> row"


def test_each_function_builds_a_binary_of_the_workspace():
    bins = set()
    for cargo in ROOT.glob("functions/*/Cargo.toml"):
        bins |= set(re.findall(r'\[\[bin\]\]\s*name = "([^"]+)"', cargo.read_text()))
    for name, spec in FUNCTIONS.items():
        res = RESOURCES[name]
        assert res["Metadata"]["BuildMethod"] == "rust-cargolambda"
        binary = res["Metadata"]["BuildProperties"]["Binary"]
        assert binary == spec["binary"] and binary in bins, (name, binary, bins)
        assert res["Properties"].get("Handler", TEMPLATE.get("Globals", {}).get("Function", {}).get("Handler")) == "bootstrap"


def test_each_role_allows_what_its_code_calls_nothing_more_and_no_wildcard_action():
    for name, spec in FUNCTIONS.items():
        role_ref = RESOURCES[name]["Properties"]["Role"]
        role_name = role_ref["Fn::GetAtt"].split(".")[0] if isinstance(role_ref["Fn::GetAtt"], str) else role_ref["Fn::GetAtt"][0]
        allowed = actions(statements_for_role(role_name))
        missing = spec["actions"] - allowed
        assert not missing, f"{role_name} lacks {sorted(missing)}"
        extra = allowed - spec["actions"] - spec["platform"]
        assert not extra, f"{role_name} holds actions neither its code nor the platform needs: {sorted(extra)}"
        wild = {a for a in allowed if a == "*" or a.endswith(":*")}
        assert not wild, f"{role_name} allows wildcard actions {sorted(wild)}"


def test_the_router_is_subscribed_to_the_trail_log_group_and_may_be_invoked_by_logs():
    subs = [r for r in RESOURCES.values() if r["Type"] == "AWS::Logs::SubscriptionFilter"]
    assert subs and all("AlertRouterFunction" in str(s["Properties"]["DestinationArn"]) for s in subs)
    perms = [r for r in RESOURCES.values() if r["Type"] == "AWS::Lambda::Permission"
             and r["Properties"].get("Principal") == "logs.amazonaws.com"]
    assert perms and all("SourceArn" in p["Properties"] for p in perms)
