"""A first deploy that works: every name the template sets is valid for any stack name CloudFormation allows, in
any region and partition, and unique where it must be; the SES sender identity is created only when asked.

Names are resolved from the template as SAM transforms it (devstack's resolver evaluates the intrinsics), with the
pseudo parameters CloudFormation would pass for awkward stack names in several regions.
"""

from __future__ import annotations

import ipaddress
import re
import uuid
from collections.abc import Iterator, Mapping
from typing import Any

import pytest
from samtranslator.yaml_helper import yaml_parse

from devstack.intrinsics import Resolver, references
from devstack.provision import pseudo_parameters
from tests.unit.template_support import TEMPLATE, transform_template

STACK_NAME = re.compile(r"[A-Za-z][A-Za-z0-9-]{0,127}")  # what CloudFormation accepts
AWKWARD_STACK_NAMES = [
    "x",
    "MyStack",
    "imagepredict",
    "A" * 128,
    "Prod-EU-2",
    ("a-" * 64)[:127] + "Z",
]
REGIONS = [  # (region, partition)
    ("us-east-1", "aws"),
    ("ap-southeast-2", "aws"),
    ("eu-central-2", "aws"),
    ("us-gov-west-1", "aws-us-gov"),
    ("cn-northwest-1", "aws-cn"),
]
STACK_PSEUDO = {"AWS::StackName", "AWS::StackId"}


def s3_bucket_name_problems(name: str) -> list[str]:
    """S3's rules for general purpose bucket names (docs.aws.amazon.com/AmazonS3/latest/userguide/bucketnamingrules)."""
    problems = []
    if not 3 <= len(name) <= 63:
        problems.append(f"{len(name)} characters (3 to 63)")
    if not re.fullmatch(r"[a-z0-9][a-z0-9.-]*[a-z0-9]", name):
        problems.append("only lower-case letters, digits, dots and hyphens, starting and ending with a letter or digit")
    if ".." in name:
        problems.append("two adjacent dots")
    try:
        ipaddress.ip_address(name)
        problems.append("formatted as an IP address")
    except ValueError:
        pass
    for prefix in ("xn--", "sthree-", "amzn-s3-demo-"):
        if name.startswith(prefix):
            problems.append(f"reserved prefix {prefix}")
    for suffix in ("-s3alias", "--ol-s3", ".mrap", "--x-s3", "--table-s3"):
        if name.endswith(suffix):
            problems.append(f"reserved suffix {suffix}")
    return problems


def _pattern_rule(pattern: str, longest: int) -> Any:
    def problems(value: str) -> list[str]:
        found = []
        if not 1 <= len(value) <= longest:
            found.append(f"{len(value)} characters (1 to {longest})")
        if not re.fullmatch(pattern, value):
            found.append(f"not {pattern}")
        return found

    return problems


# Every property that takes a name the stack name or id flows into, with the limits of the service that takes it.
NAME_RULES = {
    "BucketName": s3_bucket_name_problems,
    "LayerName": _pattern_rule(r"[a-zA-Z0-9_-]+", 140),
    "LogGroupName": _pattern_rule(r"[.\-_/#A-Za-z0-9]+", 512),
    "Family": _pattern_rule(r"[a-zA-Z0-9_-]+", 255),  # ECS task definition family
    "DashboardName": _pattern_rule(r"[A-Za-z0-9_-]+", 255),
    "Tag": _pattern_rule(r"[\w .:/=+\-@]*", 256),  # a tag's value
    "title": _pattern_rule(r".+", 128),  # the HTTP API's name: SAM gives it the stack's
}
NOT_NAMES = {"DashboardBody"}  # text that mentions the stack (test_template_operations checks the body)
# Resource names left to CloudFormation (it makes valid, unique ones from the stack name): never set them.
GENERATED = {
    "AWS::SQS::Queue": "QueueName",
    "AWS::CloudWatch::Alarm": "AlarmName",
    "AWS::IAM::Role": "RoleName",
    "AWS::IAM::ManagedPolicy": "ManagedPolicyName",
    "AWS::IAM::InstanceProfile": "InstanceProfileName",
    "AWS::Lambda::Function": "FunctionName",
    "AWS::SNS::Topic": "TopicName",
    "AWS::ECS::Cluster": "ClusterName",
    "AWS::ECS::Service": "ServiceName",
    "AWS::SecretsManager::Secret": "Name",
    "AWS::ApiGatewayV2::Api": "Name",
}


class AnyResource(Mapping[str, str]):
    """Refs to the stack's other resources, as placeholders (the names checked here only need their own parts)."""

    def __getitem__(self, key: str) -> str:
        return f"resource-{key.lower()}"

    def __contains__(self, key: object) -> bool:
        return True

    def __iter__(self) -> Iterator[str]:
        return iter(())

    def __len__(self) -> int:
        return 0


class AnyAttribute(Mapping[tuple[str, str], str]):
    def __getitem__(self, key: tuple[str, str]) -> str:
        return f"{key[0]}-{key[1]}".lower()

    def __iter__(self) -> Iterator[tuple[str, str]]:
        return iter(())

    def __len__(self) -> int:
        return 0


@pytest.fixture(scope="module")
def transformed() -> dict[str, Any]:
    return transform_template()


def deployment(stack_name: str, region: str, partition: str) -> dict[str, str]:
    """The pseudo parameters CloudFormation passes a new stack of this name in this region."""
    stack_id = f"arn:{partition}:cloudformation:{region}:123456789012:stack/{stack_name}/{uuid.uuid4()}"
    return {
        **pseudo_parameters(stack_name),
        "AWS::Region": region,
        "AWS::Partition": partition,
        "AWS::StackId": stack_id,
        "AWS::URLSuffix": "amazonaws.com.cn" if partition == "aws-cn" else "amazonaws.com",
    }


def names_from_the_stack(template: dict[str, Any]) -> list[tuple[str, str, Any]]:
    """(resource, rule, value) for every value in the resources that the stack's name or id flows into."""
    found: list[tuple[str, str, Any]] = []

    def walk(resource: str, node: Any, key: str) -> None:
        if isinstance(node, dict):
            if key and references(node) & STACK_PSEUDO and (set(node) <= {"Ref", "Fn::Sub", "Fn::Join"}):
                found.append((resource, key, node))
                return
            if {"Key", "Value"} <= set(node):  # a tag (an Auto Scaling group's also says PropagateAtLaunch)
                walk(resource, node["Value"], "Tag")
                return
            for child_key, child in node.items():
                walk(resource, child, child_key)
        elif isinstance(node, list):
            for item in node:
                walk(resource, item, key)

    for name, spec in template["Resources"].items():
        walk(name, spec.get("Properties", {}), "")
    return [(resource, rule, value) for resource, rule, value in found if rule not in NOT_NAMES]


def resolved(template: dict[str, Any], value: Any, parameters: Mapping[str, str]) -> str:
    defaults = {name: spec["Default"] for name, spec in template["Parameters"].items() if "Default" in spec}
    return str(Resolver({**defaults, **parameters}, AnyResource(), AnyAttribute()).resolve(value))


def test_the_awkward_stack_names_are_ones_cloudformation_accepts() -> None:
    for name in AWKWARD_STACK_NAMES:
        assert STACK_NAME.fullmatch(name), name


def test_the_names_checked_include_the_bucket_and_every_kind_the_template_sets(transformed: dict[str, Any]) -> None:
    rules = {rule for _, rule, _ in names_from_the_stack(transformed)}
    assert {"BucketName", "LayerName"} <= rules
    unknown = rules - set(NAME_RULES) - {"aws:SourceArn"}
    assert not unknown, f"add the service's naming rule for {sorted(unknown)} to NAME_RULES"


@pytest.mark.parametrize("stack_name", AWKWARD_STACK_NAMES)
@pytest.mark.parametrize(("region", "partition"), REGIONS)
def test_every_name_the_stack_sets_is_valid(
    transformed: dict[str, Any], stack_name: str, region: str, partition: str
) -> None:
    parameters = deployment(stack_name, region, partition)
    for resource, rule, value in names_from_the_stack(transformed):
        name = resolved(transformed, value, parameters)
        if rule == "aws:SourceArn":
            continue  # checked against the bucket below
        problems = NAME_RULES[rule](name)
        assert not problems, f"{resource}.{rule} = {name!r} for stack {stack_name!r} in {region}: {problems}"


@pytest.mark.parametrize(("region", "partition"), REGIONS)
def test_the_queue_policy_names_the_bucket_that_exists(
    transformed: dict[str, Any], region: str, partition: str
) -> None:
    """ClassifyQueuePolicy has to spell the bucket's ARN out (the bucket depends on it): the two must agree."""
    parameters = deployment("MyStack", region, partition)
    resources = transformed["Resources"]
    bucket = resolved(transformed, resources["UploadsBucket"]["Properties"]["BucketName"], parameters)
    (statement,) = resources["ClassifyQueuePolicy"]["Properties"]["PolicyDocument"]["Statement"]
    source = resolved(transformed, statement["Condition"]["ArnEquals"]["aws:SourceArn"], parameters)
    assert source == f"arn:{partition}:s3:::{bucket}"


def test_the_bucket_name_is_unique_per_stack_and_region_and_ignores_the_stack_name(
    transformed: dict[str, Any],
) -> None:
    expression = transformed["Resources"]["UploadsBucket"]["Properties"]["BucketName"]
    names = {
        (stack_name, region): resolved(transformed, expression, deployment(stack_name, region, partition))
        for stack_name in AWKWARD_STACK_NAMES
        for region, partition in REGIONS
    }
    assert len(set(names.values())) == len(names)  # the same stack name in two regions gets two buckets
    for name in names.values():
        assert re.fullmatch(r"imagepredict-uploads-[0-9a-f]{8}(-[0-9a-f]{4}){3}-[0-9a-f]{12}", name)
    one_id = uuid.uuid4()
    same_stack_id = {
        resolved(
            transformed,
            expression,
            {
                **deployment(stack_name, "us-east-1", "aws"),
                "AWS::StackId": f"arn:aws:cloudformation:us-east-1:123456789012:stack/{stack_name}/{one_id}",
            },
        )
        for stack_name in AWKWARD_STACK_NAMES
    }
    assert len(same_stack_id) == 1  # nothing of the stack's name (its case, its length) reaches the bucket's


def test_everything_else_refers_to_the_bucket_not_to_its_name(transformed: dict[str, Any]) -> None:
    """Only the bucket itself and the queue policy (which must exist first) spell the name out."""
    spelled_out = {
        resource
        for resource, spec in transformed["Resources"].items()
        if "imagepredict-uploads-" in str(spec) or "-uploads-${AWS::AccountId}" in str(spec)
    }
    assert spelled_out == {"UploadsBucket", "ClassifyQueuePolicy"}


def test_names_cloudformation_can_generate_are_left_to_it(transformed: dict[str, Any]) -> None:
    for resource, spec in transformed["Resources"].items():
        name_property = GENERATED.get(spec["Type"])
        if name_property and spec["Type"] != "AWS::ApiGatewayV2::Api":
            assert name_property not in spec.get("Properties", {}), f"{resource} sets {name_property}"


# --- the SES sender identity ------------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def document() -> dict[str, Any]:
    return yaml_parse(TEMPLATE.read_text())


@pytest.mark.parametrize(
    ("sender", "create", "created"),
    [
        ("results@example.com", "true", True),
        ("results@example.com", "false", False),  # already verified (by hand, a domain, another stack)
        ("", "true", False),  # no sender: no emails
        ("", "false", False),
    ],
)
def test_the_sender_identity_is_created_only_when_asked(
    document: dict[str, Any], sender: str, create: str, created: bool
) -> None:
    identity = document["Resources"]["SenderIdentity"]
    assert identity["Type"] == "AWS::SES::EmailIdentity"
    parameters = {"SenderEmail": sender, "CreateSenderIdentity": create}
    resolver = Resolver(parameters, {}, {}, document["Conditions"])
    assert resolver.condition(identity["Condition"]) is created


def test_creating_the_identity_is_the_default_and_a_plain_choice(document: dict[str, Any]) -> None:
    spec = document["Parameters"]["CreateSenderIdentity"]
    assert spec["AllowedValues"] == ["true", "false"]
    assert spec["Default"] == "true"  # a first deploy with a new address: SES mails it the confirmation link


def test_the_functions_send_from_the_address_whether_or_not_the_stack_owns_its_identity(
    transformed: dict[str, Any],
) -> None:
    for function in ("ClassifyFunction", "EmailFunction"):
        variables = transformed["Resources"][function]["Properties"]["Environment"]["Variables"]
        assert variables["SENDER_EMAIL"] == {"Ref": "SenderEmail"}, function
