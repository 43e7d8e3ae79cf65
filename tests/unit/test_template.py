"""template.yaml: lint-clean, and what the SAM transform makes of it is what the product needs."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path
from typing import Any

import pytest
from cfnlint.api import lint_file
from samtranslator.yaml_helper import yaml_parse

from devstack.template import Template
from tests.unit.template_support import TEMPLATE, transform_template

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def transformed() -> dict[str, Any]:
    return transform_template()


def _of_type(template: dict[str, Any], kind: str) -> dict[str, dict[str, Any]]:
    return {name: r for name, r in template["Resources"].items() if r["Type"] == kind}


def test_cfn_lint_finds_nothing() -> None:
    matches = lint_file(TEMPLATE)
    assert [str(m) for m in matches] == []


def test_every_function_runs_python_3_12_or_newer_with_the_core_layer(transformed) -> None:
    functions = _of_type(transformed, "AWS::Lambda::Function")
    assert functions
    for name, function in functions.items():
        properties = function["Properties"]
        major, minor = properties["Runtime"].removeprefix("python").split(".")
        assert (int(major), int(minor)) >= (3, 12), name
        assert properties["Layers"], name
        assert properties["TracingConfig"] == {"Mode": "Active"}, name


def test_http_api_routes_match_the_auth_api(transformed) -> None:
    # SAM puts HttpApi routes into the API's OpenAPI body, not into separate Route resources.
    routes = {
        f"{method.upper()} {path}"
        for api in _of_type(transformed, "AWS::ApiGatewayV2::Api").values()
        for path, methods in api["Properties"]["Body"]["paths"].items()
        for method in methods
    }
    assert {
        "POST /auth/register",
        "POST /auth/login",
        "POST /auth/refresh",
        "POST /auth/logout",
        "GET /auth/me",
        "DELETE /auth/me",
        "GET /health",
    } <= routes


def test_http_api_has_cors(transformed) -> None:
    (api,) = _of_type(transformed, "AWS::ApiGatewayV2::Api").values()
    cors = api["Properties"]["Body"]["x-amazon-apigateway-cors"]
    assert "authorization" in cors["allowHeaders"]
    assert "retry-after" in cors["exposeHeaders"]


def test_signing_key_is_generated_with_at_least_256_bits(transformed) -> None:
    secret = transformed["Resources"]["JwtSigningKey"]["Properties"]["GenerateSecretString"]
    alphabet = 62 if secret.get("ExcludePunctuation") else 94
    bits = secret["PasswordLength"] * (alphabet.bit_length() - 1)
    assert bits >= 256


# Actions IAM cannot scope to a resource: "*" is the only way to grant them.
UNSCOPABLE = {"ses:GetSendQuota"}


def test_functions_may_read_only_their_secrets(transformed) -> None:
    for name, role in _of_type(transformed, "AWS::IAM::Role").items():
        for policy in role["Properties"].get("Policies", []):
            for statement in policy["PolicyDocument"]["Statement"]:
                actions = statement["Action"] if isinstance(statement["Action"], list) else [statement["Action"]]
                assert statement["Resource"] != "*" or set(actions) <= UNSCOPABLE, (name, statement)


def _statements(template: dict[str, Any], function: str) -> list[dict[str, Any]]:
    role = template["Resources"][f"{function}Role"]
    return [s for policy in role["Properties"]["Policies"] for s in policy["PolicyDocument"]["Statement"]]


def test_auth_may_list_and_delete_only_the_uploads_for_account_deletion(transformed) -> None:
    s3 = [s for s in _statements(transformed, "AuthFunction") if str(s["Action"]).startswith("s3:")]
    assert s3 == [
        {
            "Effect": "Allow",
            "Action": "s3:ListBucket",
            "Resource": {"Fn::GetAtt": ["UploadsBucket", "Arn"]},
            "Condition": {"StringLike": {"s3:prefix": "uploads/*"}},
        },
        {"Effect": "Allow", "Action": "s3:DeleteObject", "Resource": {"Fn::Sub": "${UploadsBucket.Arn}/uploads/*"}},
    ]


def test_local_stack_reads_the_same_routes() -> None:
    routes = {route.route_key: route.function for route in Template(TEMPLATE).http_routes()}
    assert routes["POST /auth/login"] == "AuthFunction"
    assert routes["GET /health"] == "HealthFunction"


def test_the_api_serves_uploads_and_predictions(transformed) -> None:
    (api,) = _of_type(transformed, "AWS::ApiGatewayV2::Api").values()
    paths = api["Properties"]["Body"]["paths"]
    assert set(paths["/uploads"]) == {"post"}
    assert set(paths["/predictions"]) == {"get"}
    assert set(paths["/predictions/{id}"]) == {"get", "delete"}


def test_classify_reads_the_queue_with_partial_batch_failures(transformed) -> None:
    mappings = _of_type(transformed, "AWS::Lambda::EventSourceMapping").values()
    (mapping,) = [m for m in mappings if m["Properties"]["FunctionName"] == {"Ref": "ClassifyFunction"}]
    properties = mapping["Properties"]
    assert properties["FunctionResponseTypes"] == ["ReportBatchItemFailures"]
    assert properties["EventSourceArn"] == {"Fn::GetAtt": ["ClassifyQueue", "Arn"]}
    assert properties["FunctionName"] == {"Ref": "ClassifyFunction"}


def test_emails_are_queued_by_the_classifier_and_sent_by_two_paced_senders(transformed) -> None:
    resources = transformed["Resources"]
    classify = resources["ClassifyFunction"]["Properties"]
    assert classify["Environment"]["Variables"]["EMAIL_QUEUE_URL"] == {"Ref": "EmailQueue"}
    mappings = _of_type(transformed, "AWS::Lambda::EventSourceMapping").values()
    (mapping,) = [m["Properties"] for m in mappings if m["Properties"]["FunctionName"] == {"Ref": "EmailFunction"}]
    assert mapping["EventSourceArn"] == {"Fn::GetAtt": ["EmailQueue", "Arn"]}
    assert mapping["FunctionResponseTypes"] == ["ReportBatchItemFailures"]
    senders = resources["EmailFunction"]["Properties"]["Environment"]["Variables"]["EMAIL_SENDERS"]
    assert mapping["ScalingConfig"]["MaximumConcurrency"] == int(senders)  # each paces itself to 1/n of SES's rate
    queue = resources["EmailQueue"]["Properties"]
    assert queue["VisibilityTimeout"] >= 6 * resources["EmailFunction"]["Properties"]["Timeout"]
    assert queue["RedrivePolicy"]["deadLetterTargetArn"] == {"Fn::GetAtt": ["EmailDeadLetters", "Arn"]}
    (layer,) = resources["EmailFunction"]["Properties"]["Layers"]  # the core layer only: no ML layer to load
    assert layer["Ref"].startswith("CoreLayer")


def test_the_queue_outlives_six_function_timeouts_and_redrives_after_three_receives(transformed) -> None:
    resources = transformed["Resources"]
    queue = resources["ClassifyQueue"]["Properties"]
    timeout = resources["ClassifyFunction"]["Properties"]["Timeout"]
    assert queue["VisibilityTimeout"] >= 6 * timeout
    assert queue["RedrivePolicy"]["maxReceiveCount"] == 3
    assert queue["RedrivePolicy"]["deadLetterTargetArn"] == {"Fn::GetAtt": ["ClassifyDeadLetters", "Arn"]}
    alarm = resources["ClassifyDeadLetterAlarm"]["Properties"]
    assert alarm["Dimensions"] == [{"Name": "QueueName", "Value": {"Fn::GetAtt": ["ClassifyDeadLetters", "QueueName"]}}]
    env = resources["ClassifyFunction"]["Properties"]["Environment"]["Variables"]
    assert env["MAX_RECEIVE_COUNT"] == str(queue["RedrivePolicy"]["maxReceiveCount"])


def test_the_bucket_is_private_encrypted_expiring_and_notifies_the_queue(transformed) -> None:
    bucket = transformed["Resources"]["UploadsBucket"]["Properties"]
    assert all(bucket["PublicAccessBlockConfiguration"].values())
    assert bucket["BucketEncryption"]["ServerSideEncryptionConfiguration"][0]["ServerSideEncryptionByDefault"]
    prefixes = {rule["Prefix"] for rule in bucket["LifecycleConfiguration"]["Rules"]}
    assert prefixes == {"uploads/", "inbox/"}
    notified = {
        configuration["Filter"]["S3Key"]["Rules"][0]["Value"]
        for configuration in bucket["NotificationConfiguration"]["QueueConfigurations"]
    }
    assert notified == {"uploads/", "inbox/"}
    assert "POST" in bucket["CorsConfiguration"]["CorsRules"][0]["AllowedMethods"]


def test_only_classify_carries_the_ml_layer(transformed) -> None:
    for name, function in _of_type(transformed, "AWS::Lambda::Function").items():
        layers = [layer["Ref"] for layer in function["Properties"]["Layers"]]  # SAM suffixes layer ids with a hash
        assert any(layer.startswith("CoreLayer") for layer in layers), name
        assert any(layer.startswith("MlLayer") for layer in layers) == (name == "ClassifyFunction"), name


def test_the_local_stack_adds_a_functions_own_layers_to_the_global_ones() -> None:
    classify = Template(TEMPLATE).function("ClassifyFunction")
    assert classify.layers == [{"Ref": "CoreLayer"}, {"Ref": "MlLayer"}]
    assert Template(TEMPLATE).function("AuthFunction").layers == [{"Ref": "CoreLayer"}]


def test_the_bucket_rules_name_the_prefixes_of_the_key_layout() -> None:
    from imagepredict.storage.keys import INBOX_PREFIX, RESULTS_PREFIX, UPLOADS_PREFIX

    bucket = yaml_parse(TEMPLATE.read_text())["Resources"]["UploadsBucket"]["Properties"]
    notified = {
        rule["Value"]
        for configuration in bucket["NotificationConfiguration"]["QueueConfigurations"]
        for rule in configuration["Filter"]["S3Key"]["Rules"]
    }
    assert notified == {UPLOADS_PREFIX, INBOX_PREFIX}  # results/ is written by the pipeline: it must not re-trigger
    expiring = {rule["Prefix"] for rule in bucket["LifecycleConfiguration"]["Rules"]}
    assert {UPLOADS_PREFIX, INBOX_PREFIX} <= expiring
    assert RESULTS_PREFIX not in notified


def test_every_route_says_it_has_no_gateway_authorizer_so_the_guided_deploy_asks_nothing() -> None:
    """The functions verify JWTs themselves: each route declares `Authorizer: NONE`; an undeclared one is IAM-only."""
    resources = yaml_parse(TEMPLATE.read_text())["Resources"]
    api = resources["HttpApi"]["Properties"]["Auth"]
    assert (api["DefaultAuthorizer"], api["EnableIamAuthorizer"]) == ("AWS_IAM", True)
    routes = [
        (name, event)
        for name, spec in resources.items()
        for event in spec.get("Properties", {}).get("Events", {}).values()
        if event["Type"] == "HttpApi"
    ]
    assert len(routes) >= 10
    for name, event in routes:
        assert event["Properties"]["Auth"] == {"Authorizer": "NONE"}, name
    # What `sam deploy --guided` itself checks before it asks "may not have authorization defined. Is this okay?"
    script = (
        "from samcli.lib.providers.sam_stack_provider import SamLocalStackProvider as P; "
        "from samcli.commands.deploy.auth_utils import auth_per_resource; "
        f"stacks, _ = P.get_stacks({str(TEMPLATE)!r}); print(sorted({{ok for _, ok in auth_per_resource(stacks)}}))"
    )
    sam_python = ROOT / ".venv-sam" / "bin" / "python"
    if not sam_python.exists():
        pytest.skip("the SAM CLI venv is not installed (make test installs it)")
    done = subprocess.run(
        [str(sam_python), "-c", script],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        env={**os.environ, "AWS_DEFAULT_REGION": "us-east-1", "SAM_CLI_TELEMETRY": "0"},
    )
    assert done.stdout.strip() == "[True]", done.stderr[-2000:]


def test_samconfig_gives_the_deploy_what_it_needs_so_the_guided_deploy_asks_only_for_parameters() -> None:
    import tomllib

    config = tomllib.loads((ROOT / "samconfig.toml").read_text())["default"]
    assert config["global"]["parameters"]["stack_name"] == "imagepredict"
    deploy = config["deploy"]["parameters"]
    assert deploy["capabilities"] == "CAPABILITY_IAM"  # unnamed roles: no CAPABILITY_NAMED_IAM needed
    assert "RoleName" not in TEMPLATE.read_text()
    assert deploy["resolve_s3"] is True  # SAM makes and uses its own artifact bucket
    assert deploy["confirm_changeset"] is True
    assert "parameter_overrides" not in deploy  # nobody's values (or secrets) are committed
    assert config["validate"]["parameters"]["lint"] is True


@pytest.mark.parametrize(
    ("url", "accepted"),
    [
        ("https://app.example.com", True),
        ("https://example.com/imagepredict/", True),
        ("http://127.0.0.1:3000", True),
        ("", False),
        ("app.example.com", False),
        ("https://", False),
        ("https://app example.com", False),
    ],
)
def test_app_url_has_no_default_and_must_be_a_url(url: str, accepted: bool) -> None:
    import re

    spec = yaml_parse(TEMPLATE.read_text())["Parameters"]["AppUrl"]
    assert "Default" not in spec  # a deployed stack names its own web client: no localhost links in emails
    assert bool(re.fullmatch(spec["AllowedPattern"], url)) is accepted


def test_every_function_logs_to_a_log_group_that_expires(transformed) -> None:
    resources = transformed["Resources"]
    functions = _of_type(transformed, "AWS::Lambda::Function")
    assert len(functions) >= 6
    for name, function in functions.items():
        group = function["Properties"]["LoggingConfig"]["LogGroup"]["Ref"]
        assert resources[group]["Type"] == "AWS::Logs::LogGroup", name
        assert resources[group]["Properties"]["RetentionInDays"] == {"Ref": "LogRetentionDays"}, name
    spec = yaml_parse(TEMPLATE.read_text())["Parameters"]["LogRetentionDays"]
    assert spec["Default"] in spec["AllowedValues"]  # only the values CloudWatch Logs accepts
