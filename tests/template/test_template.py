"""template.yaml against the code it deploys: every environment variable a
function is given is one the code reads (a typo would be silently ignored
at run time), the variables each function needs are set, each function's
binary exists, and each role allows the AWS calls its function's code
makes, with no wildcard action. The linters (scripts/check-template.sh)
check the template's shape; this checks that it matches trailguard."""

from __future__ import annotations

import pathlib
import re

import pytest
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
TEMPLATE_TEXT = (ROOT / "template.yaml").read_text()
TEMPLATE = yaml.load(TEMPLATE_TEXT, Loader=CfnLoader)
RESOURCES = TEMPLATE["Resources"]

# The variables the code reads: shared/src/config.rs's constants, and the
# per-check modes.
CONFIG = (ROOT / "shared" / "src" / "config.rs").read_text()
KNOWN = set(re.findall(r'pub const [A-Z_]+: &str = "(TRAILGUARD_[A-Z_]+)"', CONFIG))
CHECKS = ["LOGGING", "DELIVERY", "MULTI_REGION", "GLOBAL_SERVICE_EVENTS", "LOG_FILE_VALIDATION",
          "KMS_ENCRYPTION", "CLOUDWATCH_LOGS", "EVENT_SELECTORS", "BUCKET_EVENTS", "BUCKET_VERSIONING",
          "BUCKET_PUBLIC_ACCESS", "BUCKET_POLICY", "OBJECT_LOCK", "VALIDATOR_FEED", "ROUTER_SUBSCRIPTION"]
KNOWN |= {f"TRAILGUARD_CHECK_{c}" for c in CHECKS}
OTHER_OK = {"RUST_LOG", "AWS_LAMBDA_LOG_FORMAT"}

FUNCTIONS = {
    "IntegrityValidatorFunction": {
        "binary": "integrity-validator",
        "needs": {"TRAILGUARD_SNS_TOPIC_ARN", "TRAILGUARD_TRAIL_NAME"},
        # What the code calls (shared/src/aws): S3 GetObject (and versions)
        # and ListObjectsV2, HeadBucket (region), CloudTrail ListPublicKeys and
        # DescribeTrails (locate), SNS Publish, SQS (the event source), and
        # PutObject of its checkpoints (shared/src/aws/checkpoints.rs).
        # In range mode (the backfill), GetTrailStatus explains a silence.
        "actions": {"s3:GetObject", "s3:ListBucket", "s3:PutObject", "cloudtrail:ListPublicKeys",
                    "cloudtrail:GetTrailStatus", "sns:Publish", "sqs:ReceiveMessage", "sqs:DeleteMessage"},
        # What the platform needs on the function's behalf: the SQS event
        # source mapping, KMS through S3
        # and SNS, its own log group.
        "platform": {"sqs:GetQueueAttributes", "kms:Decrypt", "kms:GenerateDataKey",
                     "logs:CreateLogStream", "logs:PutLogEvents"},
    },
    "AlertRouterFunction": {
        "binary": "alert-router",
        "needs": {"TRAILGUARD_SNS_TOPIC_ARN", "TRAILGUARD_LOG_BUCKET", "TRAILGUARD_TRAIL_NAME",
                  "TRAILGUARD_SEVERITY_TOPICS", "TRAILGUARD_STACK_NAME", "TRAILGUARD_LOG_GROUP"},
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
                    "cloudtrail:PutEventSelectors", "s3:GetObject", "s3:PutObject", "sns:Publish",
                    # The chain checks (shared/src/aws/chain.rs): the log
                    # bucket's settings, the validator's rule and queue, the
                    # router's subscription filter.
                    "s3:GetBucketNotification", "s3:GetBucketVersioning", "s3:GetBucketPublicAccessBlock",
                    "s3:GetBucketPolicy", "s3:GetBucketObjectLockConfiguration",
                    "events:DescribeRule", "events:ListTargetsByRule", "sqs:GetQueueAttributes",
                    "logs:DescribeSubscriptionFilters"},
        # Passing the trail's CloudWatch Logs role in UpdateTrail, a missing
        # state object read as 404 (ListBucket), the dead-letter destination,
        # KMS through S3 and SNS (never on the trail's key: CloudTrail checks
        # that key with its own identity), its own log group.
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


# ---------------------------------------------------------------------------
# Every policy statement follows an AWS page, named in a comment above it.
# ---------------------------------------------------------------------------

# A citation: `# AWS: "Page title"` then the page's address on
# docs.aws.amazon.com, in the comment block right above the statement (or
# above the `- !If` that holds it).
CITATION = re.compile(r'#\s*AWS: "[^"]+"[^\n]*(?:\n\s*#[^\n]*)*?\n\s*#\s+https://docs\.aws\.amazon\.com/\S+')


def _statement_nodes():
    """Every policy statement of the template, as YAML nodes (their line
    numbers are the raw text's): mappings with an Effect key."""
    root = yaml.compose(TEMPLATE_TEXT, Loader=CfnLoader)
    found = []

    def walk(node):
        if isinstance(node, yaml.MappingNode):
            keys = {k.value for k, _ in node.value if isinstance(k, yaml.ScalarNode)}
            if "Effect" in keys and ("Action" in keys or "NotAction" in keys):
                found.append(node)
            for _, v in node.value:
                walk(v)
        elif isinstance(node, yaml.SequenceNode):
            for v in node.value:
                walk(v)

    walk(root)
    return found


STATEMENTS = _statement_nodes()


def _comment_above(line: int) -> str:
    """The comment block right above a statement starting on `line`
    (0-based), passing over the `- !If` / `- ConditionName` lines of a
    conditional statement."""
    lines = TEMPLATE_TEXT.splitlines()
    j = line - 1
    while j >= 0 and re.fullmatch(r"\s*- (!If|[A-Za-z0-9]+)\s*", lines[j]):
        j -= 1
    block = []
    while j >= 0 and lines[j].strip().startswith("#"):
        block.append(lines[j])
        j -= 1
    return "\n".join(reversed(block))


def _sid(node) -> str:
    for k, v in node.value:
        if k.value == "Sid":
            return v.value
    return f"statement at line {node.start_mark.line + 1}"


def test_the_template_has_the_policy_statements_it_should():
    # Key policy 6, bucket policies 3+2+1, topic policies 2+1, queue policies
    # 2+2+1+2, role trust 5, role and managed policies 29: 56 today.
    assert len(STATEMENTS) > 50, len(STATEMENTS)


@pytest.mark.parametrize("node", STATEMENTS, ids=_sid)
def test_every_policy_statement_cites_the_aws_page_it_follows(node):
    block = _comment_above(node.start_mark.line)
    assert CITATION.search(block), (
        f"{_sid(node)} (line {node.start_mark.line + 1}) has no citation above it: "
        f'a comment `# AWS: "Page title"` followed by its https://docs.aws.amazon.com/ address'
    )


def test_every_cited_address_is_an_aws_documentation_page():
    urls = re.findall(r"#\s+(https://\S+)", TEMPLATE_TEXT)
    assert urls
    bad = [u for u in urls if not u.startswith("https://docs.aws.amazon.com/")]
    assert not bad, bad


# ---------------------------------------------------------------------------
# What AWS documents for each statement (issue 12, section 3).
# ---------------------------------------------------------------------------

def _all_statements() -> list[dict]:
    """Every statement of the parsed template, both branches of each Fn::If."""
    out = []

    def walk(v):
        if isinstance(v, dict):
            if "Effect" in v and ("Action" in v or "NotAction" in v):
                out.append(v)
            for x in v.values():
                walk(x)
        elif isinstance(v, list):
            for x in v:
                walk(x)

    walk(RESOURCES)
    return out


def _condition_keys(statement: dict) -> dict[str, object]:
    cond = statement.get("Condition") or {}
    if "Fn::If" in cond:  # a conditional condition block: take its Some branch
        cond = cond["Fn::If"][1]
    keys = {}
    for operator, pairs in cond.items():
        for key, value in pairs.items():
            keys[key] = (operator, value)
    return keys


def test_the_cloudtrail_logs_role_trust_has_no_source_conditions():
    # "Confused deputy prevention is not applicable to the role policy for
    # CloudWatch Logs monitoring. The role policy doesn't support the use of
    # aws:SourceArn and aws:SourceAccount." (CloudTrail User Guide)
    trust = RESOURCES["TrailLogsRole"]["Properties"]["AssumeRolePolicyDocument"]["Statement"]
    assert len(trust) == 1
    assert trust[0]["Principal"] == {"Service": "cloudtrail.amazonaws.com"}
    assert trust[0]["Action"] == "sts:AssumeRole"
    assert "Condition" not in trust[0], trust[0]
    assert "aws:Source" not in str(trust)


def test_the_cloudtrail_logs_role_writes_cloudtrail_streams_of_its_group_only():
    (statement,) = RESOURCES["TrailLogsRole"]["Properties"]["Policies"][0]["PolicyDocument"]["Statement"]
    assert set(statement["Action"]) == {"logs:CreateLogStream", "logs:PutLogEvents"}
    resource = statement["Resource"]["Fn::Sub"]
    assert resource.endswith(":log-group:${TrailLogGroup}:log-stream:${AWS::AccountId}_CloudTrail_${AWS::Region}*")


# The services the KMS Developer Guide lists as supporting kms:ViaService
# ("AWS KMS condition keys", Services that support the kms:ViaService
# condition key) that this template has a reason to name. CloudTrail is not
# in that list; neither is CloudWatch Logs.
VIA_SERVICES = {"s3", "sns", "sqs"}


def test_kms_via_service_names_only_services_kms_documents():
    seen = set()
    for statement in _all_statements():
        for key, (_, value) in _condition_keys(statement).items():
            if key != "kms:ViaService":
                continue
            values = value if isinstance(value, list) else [value]
            for v in values:
                text = v["Fn::Sub"] if isinstance(v, dict) else v
                m = re.fullmatch(r"([a-z0-9-]+)\.\$\{AWS::Region\}\.amazonaws\.com", text)
                assert m, f"{statement.get('Sid')}: kms:ViaService {text!r} is not <service>.<region>.amazonaws.com"
                assert m.group(1) in VIA_SERVICES, (
                    f"{statement.get('Sid')}: kms:ViaService {m.group(1)} is not a service KMS documents for it"
                )
                seen.add(m.group(1))
    assert seen == VIA_SERVICES


# Each condition key the template uses, and the statements that may use it
# (each one a key an AWS page documents for that call; the page is cited
# above the statement).
DOCUMENTED_CONDITION_KEYS = {
    "aws:SecureTransport": {"DenyInsecureTransport"},
    "aws:SourceArn": {"CloudTrailEncryptLogs", "CloudTrailDescribeKey", "CloudTrailAclCheck", "CloudTrailWrite",
                      "S3ServerAccessLogsDelivery", "CloudWatchAlarmsPublishToEncryptedTopics",
                      "CloudWatchAlarmsOfThisStack", "AllowLogBucketEventsRule",
                      "AllowLogBucketEventsRuleDeadLetters", "AllowWatchdogScheduleDeadLetters"},
    "aws:SourceAccount": {"S3ServerAccessLogsDelivery", "CloudWatchAlarmsPublishToEncryptedTopics",
                          "CloudWatchAlarmsOfThisStack"},
    "kms:EncryptionContext:aws:cloudtrail:arn": {"CloudTrailEncryptLogs"},
    "kms:EncryptionContext:aws:logs:arn": {"CloudWatchLogsEncryptStackLogGroups"},
    "kms:ViaService": {"IntegrityValidatorDecryptThroughS3", "EncryptAlertsThroughSns", "DecryptLogObjectsThroughS3",
                       "EncryptFailedEventsThroughSqs", "EncryptStateThroughS3", "EncryptCheckpointsThroughS3",
                       "StateBucketKeyThroughS3"},
    "kms:CallerAccount": {"IntegrityValidatorDecryptThroughS3"},
    "s3:x-amz-acl": {"CloudTrailWrite"},
    "s3:prefix": {"ListRuleFiles", "ListCheckpoints", "ListLogBucketDigests"},
    "iam:PassedToService": {"PassTrailLogsRoleToCloudTrail"},
}


def test_every_condition_key_is_one_documented_for_its_statement():
    for statement in _all_statements():
        for key in _condition_keys(statement):
            allowed = DOCUMENTED_CONDITION_KEYS.get(key)
            assert allowed is not None, f"{statement.get('Sid')}: condition key {key} is not one the template documents"
            assert statement.get("Sid") in allowed, f"{statement.get('Sid')}: {key} is not documented for it"


def _key_statement(sid: str) -> dict:
    for s in _all_statements():
        if s.get("Sid") == sid:
            return s
    raise AssertionError(f"no statement {sid}")


def test_cloudtrail_encrypts_with_exactly_the_documented_conditions():
    s = _key_statement("CloudTrailEncryptLogs")
    assert s["Principal"] == {"Service": "cloudtrail.amazonaws.com"}
    assert s["Action"] == "kms:GenerateDataKey*" and s["Resource"] == "*"
    assert set(s["Condition"]) == {"StringLike", "StringEquals"}
    assert set(s["Condition"]["StringLike"]) == {"kms:EncryptionContext:aws:cloudtrail:arn"}
    assert set(s["Condition"]["StringEquals"]) == {"aws:SourceArn"}
    assert s["Condition"]["StringLike"]["kms:EncryptionContext:aws:cloudtrail:arn"]["Fn::Sub"] == (
        "arn:${AWS::Partition}:cloudtrail:*:${AWS::AccountId}:trail/*")
    assert s["Condition"]["StringEquals"]["aws:SourceArn"]["Fn::Sub"] == (
        "arn:${AWS::Partition}:cloudtrail:${AWS::Region}:${AWS::AccountId}:trail/${NewTrailName}")


def test_the_log_bucket_has_no_bucket_key_so_cloudtrail_needs_no_decrypt():
    (rule,) = RESOURCES["LogBucket"]["Properties"]["BucketEncryption"]["ServerSideEncryptionConfiguration"]
    assert rule["ServerSideEncryptionByDefault"]["SSEAlgorithm"] == "aws:kms"
    assert rule.get("BucketKeyEnabled", False) is False
    cloudtrail = [s for s in _all_statements() if s.get("Principal") == {"Service": "cloudtrail.amazonaws.com"}
                  and "kms:Decrypt" in str(s.get("Action"))]
    assert not cloudtrail, "with no Bucket Key, CloudTrail needs no kms:Decrypt in the key policy"


def test_cloudwatch_alarms_may_use_the_key_as_the_sns_guide_shows():
    s = _key_statement("CloudWatchAlarmsPublishToEncryptedTopics")
    assert s["Principal"] == {"Service": "cloudwatch.amazonaws.com"}
    assert sorted(s["Action"]) == ["kms:Decrypt", "kms:GenerateDataKey*"]
    assert s["Resource"] == "*"
    assert set(s["Condition"]) == {"StringEquals", "ArnLike"}
    assert s["Condition"]["StringEquals"] == {"aws:SourceAccount": {"Ref": "AWS::AccountId"}}
    arn = s["Condition"]["ArnLike"]["aws:SourceArn"]["Fn::Sub"]
    # The same alarms the topic policy admits, and every alarm of the stack.
    topic = _key_statement("CloudWatchAlarmsOfThisStack")
    assert arn == topic["Condition"]["ArnLike"]["aws:SourceArn"]["Fn::Sub"]
    alarms = [r for r in RESOURCES.values() if r["Type"] == "AWS::CloudWatch::Alarm"]
    assert alarms
    for alarm in alarms:
        assert alarm["Properties"]["AlarmName"]["Fn::Sub"].startswith("${AWS::StackName}-")


def test_the_watchdog_holds_no_permission_on_the_trails_key():
    statements = branches(statements_for_role("LoggingWatchdogRole"))
    for s in statements:
        if not any(str(a).startswith("kms:") for a in ([s["Action"]] if isinstance(s["Action"], str) else s["Action"])):
            continue
        assert s["Resource"] == {"Fn::GetAtt": "StackKey.Arn"}, s
        via = s["Condition"]["StringEquals"]["kms:ViaService"]["Fn::Sub"]
        assert via.split(".")[0] in {"s3", "sns"}, s


def test_the_log_bucket_has_object_lock_as_the_parameters_say():
    params = TEMPLATE["Parameters"]
    assert params["ObjectLockMode"]["AllowedValues"] == ["GOVERNANCE", "COMPLIANCE", "NONE"]
    assert params["ObjectLockMode"]["Default"] == "GOVERNANCE"
    assert params["ObjectLockRetentionDays"]["Default"] == 2557  # seven years
    conditions = TEMPLATE["Conditions"]
    assert conditions["LogBucketObjectLock"] == {"Fn::And": [
        {"Condition": "CreateTrail"}, {"Fn::Not": [{"Fn::Equals": [{"Ref": "ObjectLockMode"}, "NONE"]}]}]}
    props = RESOURCES["LogBucket"]["Properties"]
    # "Object Lock works only in versioned buckets".
    assert props["VersioningConfiguration"] == {"Status": "Enabled"}
    assert props["ObjectLockEnabled"] == {"Fn::If": ["LogBucketObjectLock", True, {"Ref": "AWS::NoValue"}]}
    cond, config, none = props["ObjectLockConfiguration"]["Fn::If"]
    assert cond == "LogBucketObjectLock" and none == {"Ref": "AWS::NoValue"}
    assert config["ObjectLockEnabled"] == "Enabled"
    assert config["Rule"]["DefaultRetention"] == {"Mode": {"Ref": "ObjectLockMode"},
                                                  "Days": {"Ref": "ObjectLockRetentionDays"}}
    # Server access logs cannot go to an Object Lock bucket.
    assert "ObjectLockEnabled" not in RESOURCES["AccessLogsBucket"]["Properties"]


# ---------------------------------------------------------------------------
# What the watchdog may change on the trail: README against the code.
# ---------------------------------------------------------------------------

TRAILCONTROL = (ROOT / "shared" / "src" / "aws" / "trailcontrol.rs").read_text()
CHECKS_RS = (ROOT / "shared" / "src" / "watchdog" / "checks.rs").read_text()
# The SDK setter of each UpdateTrail field the watchdog may send, and its
# name in the API (and in README).
UPDATE_TRAIL_FIELDS = {
    "set_is_multi_region_trail": "IsMultiRegionTrail",
    "set_include_global_service_events": "IncludeGlobalServiceEvents",
    "set_enable_log_file_validation": "EnableLogFileValidation",
    "set_kms_key_id": "KmsKeyId",
    "set_cloud_watch_logs_log_group_arn": "CloudWatchLogsLogGroupArn",
    "set_cloud_watch_logs_role_arn": "CloudWatchLogsRoleArn",
}
NEVER_SENT = ["S3BucketName", "S3KeyPrefix", "SnsTopicName", "IsOrganizationTrail"]


def _update_trail_call() -> str:
    start = TRAILCONTROL.index(".update_trail()")
    return TRAILCONTROL[start:TRAILCONTROL.index(".send()", start)]


def test_the_watchdogs_update_trail_sends_only_the_fields_readme_lists():
    call = _update_trail_call()
    setters = set(re.findall(r"\.(set_[a-z_]+|[a-z_]+)\(", call)) - {"update_trail", "name", "clone", "into"}
    assert setters == set(UPDATE_TRAIL_FIELDS), setters
    # The only UpdateTrail call of the code, and TrailUpdate has no other field.
    for tree in ("shared/src", "functions", "cli/src"):
        for path in (ROOT / tree).rglob("*.rs"):
            if "tests" in path.parts or path.name == "trailcontrol.rs":
                continue
            assert ".update_trail()" not in path.read_text(), path
    struct = CHECKS_RS[CHECKS_RS.index("pub struct TrailUpdate"):]
    struct = struct[:struct.index("\n}")]
    assert set(re.findall(r"pub ([a-z_]+):", struct)) == {
        "is_multi_region_trail", "include_global_service_events", "enable_log_file_validation", "kms_key_id",
        "cloudwatch_logs_log_group_arn", "cloudwatch_logs_role_arn"}


def test_readme_says_exactly_what_the_watchdog_may_change():
    readme = (ROOT / "README.md").read_text()
    section = readme[readme.index("### IAM, function by function"):]
    section = section[:section.index("\n## ")]
    paragraph = section[section.index("What the watchdog may change on the trail"):]
    paragraph = paragraph[:paragraph.index("\n\n")]
    for field in UPDATE_TRAIL_FIELDS.values():
        assert f"`{field}`" in paragraph, field
    for field in NEVER_SENT:
        assert f"`{field}`" in paragraph, field
        assert field not in _update_trail_call()
    assert "re-point" not in section or "cannot re-point" in section


def test_the_backfill_role_allows_what_its_definition_does_and_no_more():
    """The state machine's role against its definition: lambda:invoke Task
    states, a Distributed Map (child executions), its S3 ItemReader and
    ResultWriter, the state bucket's key ("IAM policies for using
    Distributed Map states"); every resource named, none '*'."""
    role = RESOURCES["BackfillStateMachineRole"]
    statements = role["Properties"]["Policies"][0]["PolicyDocument"]["Statement"]
    got = set()
    for st in statements:
        acts = st["Action"] if isinstance(st["Action"], list) else [st["Action"]]
        got |= set(acts)
        assert st["Resource"] != "*", st["Sid"]
    definition = RESOURCES["BackfillStateMachine"]["Properties"]["Definition"]
    needed = {"states:StartExecution", "states:DescribeExecution", "states:RedriveExecution",
              "kms:Decrypt", "kms:Encrypt", "kms:GenerateDataKey"}

    def walk(machine):
        for state in machine["States"].values():
            if state.get("Resource") == "arn:aws:states:::lambda:invoke":
                needed.add("lambda:InvokeFunction")
            if state["Type"] == "Map":
                if state["ItemReader"]["Resource"] == "arn:aws:states:::s3:getObject":
                    needed.add("s3:GetObject")
                if state["ResultWriter"]["Resource"] == "arn:aws:states:::s3:putObject":
                    needed.update({"s3:PutObject", "s3:GetObject", "s3:ListMultipartUploadParts",
                                   "s3:AbortMultipartUpload"})
                walk(state["ItemProcessor"])
    walk(definition)
    assert got == needed
    assert RESOURCES["BackfillStateMachine"]["Condition"] == "HasBackfill"
    assert role["Condition"] == "HasBackfill"
    assert TEMPLATE["Outputs"]["BackfillStateMachineArn"]["Condition"] == "HasBackfill"
