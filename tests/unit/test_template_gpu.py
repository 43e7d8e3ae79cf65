"""template.yaml with ClassifyConsumers = lambda | gpu | both: what each deploys, lint-clean in each.

The SAM transform leaves Conditions and Fn::If alone (CloudFormation evaluates them at deploy time), so these tests
evaluate them on the transformed template with each mode's parameter values, as CloudFormation would.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

import pytest
from cfnlint.api import lint
from cfnlint.config import ManualArgs
from samtranslator.yaml_helper import yaml_parse

from devstack.intrinsics import Resolver
from devstack.provision import pseudo_parameters
from tests.unit.template_support import TEMPLATE, transform_template

MODES = ("lambda", "gpu", "both")
IMAGE = "123456789012.dkr.ecr.us-east-1.amazonaws.com/imagepredict-worker:1"
REQUIRED = {"MongoDbUriSecret": "imagepredict/mongodb-uri", "AppUrl": "https://app.example.com"}
GPU_SERVICES = ("AWS::ECS::", "AWS::AutoScaling::", "AWS::EC2::", "AWS::ApplicationAutoScaling::")
_NO_VALUE = object()
# What batchworker/queue.py calls (the batch calls are authorised by their single-message actions).
SQS_CONSUMER_ACTIONS = (
    "sqs:ReceiveMessage",
    "sqs:DeleteMessage",
    "sqs:ChangeMessageVisibility",
    "sqs:GetQueueAttributes",
)


@pytest.fixture(scope="module")
def document() -> dict[str, Any]:
    return yaml_parse(TEMPLATE.read_text())


@pytest.fixture(scope="module")
def transformed(document: dict[str, Any]) -> dict[str, Any]:
    return transform_template(document)


def parameters_for(mode: str, **overrides: str) -> dict[str, str]:
    values = {**REQUIRED, "ClassifyConsumers": mode, **overrides}
    if mode != "lambda":
        values.setdefault("GpuImageUri", IMAGE)
    return values


def _evaluate(value: Any, truth: Mapping[str, bool]) -> Any:
    """Fn::If chosen and AWS::NoValue dropped, as CloudFormation does; every other intrinsic left as written."""
    if isinstance(value, list):
        items = [_evaluate(item, truth) for item in value]
        return [item for item in items if item is not _NO_VALUE]
    if isinstance(value, dict):
        if value == {"Ref": "AWS::NoValue"}:
            return _NO_VALUE
        if set(value) == {"Fn::If"}:
            name, when_true, when_false = value["Fn::If"]
            return _evaluate(when_true if truth[name] else when_false, truth)
        items = {key: _evaluate(item, truth) for key, item in value.items()}
        return {key: item for key, item in items.items() if item is not _NO_VALUE}
    return value


def deployed(template: dict[str, Any], parameters: Mapping[str, str]) -> dict[str, Any]:
    """The resources and outputs CloudFormation would create from `template` with these parameter values."""
    defaults = {name: spec["Default"] for name, spec in template["Parameters"].items() if "Default" in spec}
    conditions = template.get("Conditions", {})
    resolver = Resolver({**defaults, **parameters, **pseudo_parameters("stack")}, {}, {}, conditions)
    truth = {name: resolver.condition(name) for name in conditions}
    return {
        section: {
            name: _evaluate(spec, truth)
            for name, spec in template.get(section, {}).items()
            if "Condition" not in spec or truth[spec["Condition"]]
        }
        for section in ("Resources", "Outputs")
    }


def of_type(resources: dict[str, Any], kind: str) -> dict[str, dict[str, Any]]:
    return {name: spec for name, spec in resources.items() if spec["Type"] == kind}


CLASSIFY = {"Ref": "ClassifyFunction"}


def only(resources: dict[str, Any], kind: str) -> dict[str, Any]:
    (spec,) = of_type(resources, kind).values()
    return spec["Properties"]


@pytest.fixture(scope="module")
def gpu(transformed: dict[str, Any]) -> dict[str, Any]:
    return deployed(transformed, parameters_for("gpu"))["Resources"]


@pytest.fixture(scope="module")
def worker(gpu: dict[str, Any]) -> dict[str, Any]:
    (container,) = only(gpu, "AWS::ECS::TaskDefinition")["ContainerDefinitions"]
    return container


def environment(container: dict[str, Any]) -> dict[str, Any]:
    return {variable["Name"]: variable["Value"] for variable in container["Environment"]}


# --- lint -------------------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("mode", MODES)
def test_cfn_lint_finds_nothing_in_each_mode(transformed: dict[str, Any], mode: str) -> None:
    # cfn-lint resolves --parameters only in templates without a Transform, so it lints the SAM translator's output.
    config = ManualArgs(parameters=[parameters_for(mode)], regions=["us-east-1"])
    assert [str(match) for match in lint(json.dumps(transformed), config=config)] == []


# --- what each mode deploys -------------------------------------------------------------------------------------------
def test_lambda_mode_deploys_no_ecs_ec2_or_scaling_resources(transformed: dict[str, Any]) -> None:
    stack = deployed(transformed, parameters_for("lambda"))
    kinds = {spec["Type"] for spec in stack["Resources"].values()}
    assert not {kind for kind in kinds if kind.startswith(GPU_SERVICES)}
    assert not [name for name in stack["Resources"] if name.startswith("Gpu")]
    assert not [name for name in stack["Outputs"] if name.startswith("Gpu")]
    assert "ClassifyQueueAgeAlarm" in stack["Resources"]  # useful whoever consumes the queue


def test_every_resource_the_gpu_modes_add_is_conditional_on_use_gpu(
    document: dict[str, Any], transformed: dict[str, Any]
) -> None:
    lambda_only = set(deployed(transformed, parameters_for("lambda"))["Resources"])
    for mode in ("gpu", "both"):
        added = set(deployed(transformed, parameters_for(mode))["Resources"]) - lambda_only
        assert added
        assert {name: document["Resources"][name].get("Condition") for name in added} == dict.fromkeys(added, "UseGpu")


@pytest.mark.parametrize("mode", ["gpu", "both"])
def test_the_gpu_modes_deploy_the_whole_fleet(transformed: dict[str, Any], mode: str) -> None:
    stack = deployed(transformed, parameters_for(mode))
    counts: dict[str, int] = {}
    for spec in stack["Resources"].values():
        counts[spec["Type"]] = counts.get(spec["Type"], 0) + 1
    assert (
        counts
        | {
            "AWS::EC2::VPC": 1,
            "AWS::EC2::Subnet": 2,
            "AWS::EC2::InternetGateway": 1,
            "AWS::EC2::VPCGatewayAttachment": 1,
            "AWS::EC2::RouteTable": 1,
            "AWS::EC2::Route": 1,
            "AWS::EC2::SubnetRouteTableAssociation": 2,
            "AWS::EC2::SecurityGroup": 1,
            "AWS::EC2::LaunchTemplate": 1,
            "AWS::IAM::InstanceProfile": 1,
            "AWS::AutoScaling::AutoScalingGroup": 1,
            "AWS::ECS::Cluster": 1,
            "AWS::ECS::CapacityProvider": 1,
            "AWS::ECS::ClusterCapacityProviderAssociations": 1,
            "AWS::ECS::TaskDefinition": 1,
            "AWS::ECS::Service": 1,
            "AWS::ApplicationAutoScaling::ScalableTarget": 1,
            "AWS::ApplicationAutoScaling::ScalingPolicy": 3,
        }
        == counts
    )
    assert {"GpuClusterName", "GpuServiceName", "GpuWorkerLogGroupName"} <= set(stack["Outputs"])


@pytest.mark.parametrize(("mode", "enabled"), [("lambda", True), ("gpu", False), ("both", True)])
def test_the_classify_trigger_is_off_for_gpu_and_capped_otherwise(
    transformed: dict[str, Any], mode: str, enabled: bool
) -> None:
    mappings = of_type(deployed(transformed, parameters_for(mode))["Resources"], "AWS::Lambda::EventSourceMapping")
    (mapping,) = [m["Properties"] for m in mappings.values() if m["Properties"]["FunctionName"] == CLASSIFY]
    assert mapping["Enabled"] is enabled
    # Every mode caps the function (each container holds a MongoDB pool); in both, what it leaves wakes the GPUs.
    assert mapping["ScalingConfig"] == {"MaximumConcurrency": {"Ref": "ClassifyMaxConcurrency"}}


def test_classify_max_concurrency_accepts_what_sqs_event_sources_accept(document: dict[str, Any]) -> None:
    spec = document["Parameters"]["ClassifyMaxConcurrency"]
    assert (spec["MinValue"], spec["MaxValue"]) == (2, 1000)  # ScalingConfig.MaximumConcurrency's range
    assert spec["MinValue"] <= spec["Default"] <= spec["MaxValue"]


# --- the Rules assertion ----------------------------------------------------------------------------------------------
def _rule_failures(document: dict[str, Any], parameters: Mapping[str, str]) -> list[str]:
    defaults = {name: spec["Default"] for name, spec in document["Parameters"].items() if "Default" in spec}
    resolver = Resolver({**defaults, **parameters}, {}, {})
    failures = []
    for rule in document["Rules"].values():
        if "RuleCondition" in rule and not resolver.resolve(rule["RuleCondition"]):
            continue
        failures += [
            check["AssertDescription"] for check in rule["Assertions"] if not resolver.resolve(check["Assert"])
        ]
    return failures


@pytest.mark.parametrize(
    ("mode", "image", "refused"),
    [("lambda", "", False), ("gpu", "", True), ("both", "", True), ("gpu", IMAGE, False), ("both", IMAGE, False)],
)
def test_a_gpu_mode_without_an_image_is_refused_before_anything_is_created(
    document: dict[str, Any], mode: str, image: str, refused: bool
) -> None:
    failures = _rule_failures(document, {**REQUIRED, "ClassifyConsumers": mode, "GpuImageUri": image})
    assert bool(failures) is refused
    assert all("GpuImageUri" in failure for failure in failures)


def test_the_rules_survive_the_sam_transform(document: dict[str, Any], transformed: dict[str, Any]) -> None:
    assert transformed["Rules"] == document["Rules"]


# --- networking -------------------------------------------------------------------------------------------------------
def test_two_public_subnets_in_two_zones_routed_to_the_internet_gateway(gpu: dict[str, Any]) -> None:
    subnets = of_type(gpu, "AWS::EC2::Subnet").values()
    zones = [subnet["Properties"]["AvailabilityZone"] for subnet in subnets]
    assert sorted(zone["Fn::Select"][0] for zone in zones) == [0, 1]
    assert all(zone["Fn::Select"][1] == {"Fn::GetAZs": ""} for zone in zones)
    assert all(subnet["Properties"]["MapPublicIpOnLaunch"] is True for subnet in subnets)
    route = only(gpu, "AWS::EC2::Route")
    assert route["DestinationCidrBlock"] == "0.0.0.0/0"
    assert route["GatewayId"] == {"Ref": "GpuInternetGateway"}
    associations = of_type(gpu, "AWS::EC2::SubnetRouteTableAssociation").values()
    assert {a["Properties"]["SubnetId"]["Ref"] for a in associations} == set(of_type(gpu, "AWS::EC2::Subnet"))
    assert not of_type(gpu, "AWS::EC2::NatGateway")


def test_nothing_may_connect_to_the_workers(gpu: dict[str, Any]) -> None:
    group = only(gpu, "AWS::EC2::SecurityGroup")
    assert "SecurityGroupIngress" not in group
    assert not of_type(gpu, "AWS::EC2::SecurityGroupIngress")
    assert "PortMappings" not in only(gpu, "AWS::ECS::TaskDefinition")["ContainerDefinitions"][0]


# --- instances --------------------------------------------------------------------------------------------------------
def test_instances_run_the_ecs_gpu_ami_join_the_cluster_and_keep_containers_off_instance_metadata(
    gpu: dict[str, Any],
) -> None:
    data = only(gpu, "AWS::EC2::LaunchTemplate")["LaunchTemplateData"]
    assert (
        data["ImageId"] == "{{resolve:ssm:/aws/service/ecs/optimized-ami/amazon-linux-2023/gpu/recommended/image_id}}"
    )
    assert data["InstanceType"] == {"Ref": "GpuInstanceType"}
    assert "ECS_CLUSTER=${GpuCluster}" in data["UserData"]["Fn::Base64"]["Fn::Sub"]
    assert data["MetadataOptions"] == {
        "HttpEndpoint": "enabled",
        "HttpTokens": "required",
        "HttpPutResponseHopLimit": 1,
    }
    role = gpu["GpuInstanceRole"]["Properties"]
    (policy,) = role["ManagedPolicyArns"]
    assert policy["Fn::Sub"].endswith(":policy/service-role/AmazonEC2ContainerServiceforEC2Role")


def test_the_fleet_rests_at_zero_and_ecs_sizes_it(gpu: dict[str, Any]) -> None:
    group = only(gpu, "AWS::AutoScaling::AutoScalingGroup")
    assert group["MinSize"] == "0"
    assert group["MaxSize"] == {"Ref": "GpuMaxInstances"}
    assert "DesiredCapacity" not in group  # the capacity provider owns it
    assert group["NewInstancesProtectedFromScaleIn"] is True
    assert len(group["VPCZoneIdentifier"]) == 2
    provider = only(gpu, "AWS::ECS::CapacityProvider")["AutoScalingGroupProvider"]
    assert provider["ManagedScaling"]["Status"] == "ENABLED"
    assert provider["ManagedScaling"]["TargetCapacity"] == 100
    assert provider["ManagedTerminationProtection"] == "ENABLED"
    association = only(gpu, "AWS::ECS::ClusterCapacityProviderAssociations")
    assert association["DefaultCapacityProviderStrategy"][0]["CapacityProvider"] == {"Ref": "GpuCapacityProvider"}
    service = only(gpu, "AWS::ECS::Service")
    assert service["DesiredCount"] == 0
    assert service["CapacityProviderStrategy"][0]["CapacityProvider"] == {"Ref": "GpuCapacityProvider"}
    assert service["DeploymentConfiguration"]["MinimumHealthyPercent"] == 0
    assert service["DeploymentConfiguration"]["MaximumPercent"] == 100


# --- the task ---------------------------------------------------------------------------------------------------------
def test_the_worker_takes_one_gpu_and_fits_a_g4dn_xlarge(gpu: dict[str, Any], worker: dict[str, Any]) -> None:
    task = only(gpu, "AWS::ECS::TaskDefinition")
    assert task["RequiresCompatibilities"] == ["EC2"]
    assert task["NetworkMode"] == "bridge"  # awsvpc tasks on EC2 get no public IP, and there is no NAT gateway
    assert worker["Image"] == {"Ref": "GpuImageUri"}
    assert worker["ResourceRequirements"] == [{"Type": "GPU", "Value": "1"}]
    assert 4096 <= worker["MemoryReservation"] <= 15 * 1024  # 16 GiB on the instance, less the agent and the OS


def test_the_worker_may_finish_its_batch_before_ecs_kills_it(worker: dict[str, Any]) -> None:
    drain = int(environment(worker)["DRAIN_SECONDS"])
    assert drain + 15 <= worker["StopTimeout"] <= 120  # 120 s: the most ECS allows


def test_ecs_probes_the_workers_health(worker: dict[str, Any]) -> None:
    check = worker["HealthCheck"]
    assert check["Command"] == ["CMD", "python", "-m", "batchworker.probe"]
    assert environment(worker)["HEALTH_PORT"] == "8080"
    assert check["StartPeriod"] >= 60  # the model and CUDA load first


def test_the_worker_logs_to_a_log_group_that_expires(gpu: dict[str, Any], worker: dict[str, Any]) -> None:
    logging = worker["LogConfiguration"]
    assert logging["LogDriver"] == "awslogs"
    assert logging["Options"]["awslogs-group"] == {"Ref": "GpuWorkerLogGroup"}
    for name, group in of_type(gpu, "AWS::Logs::LogGroup").items():
        assert group["Properties"]["RetentionInDays"] == {"Ref": "LogRetentionDays"}, name


def test_the_worker_gets_the_classify_functions_settings_and_its_own(
    transformed: dict[str, Any], gpu: dict[str, Any], worker: dict[str, Any]
) -> None:
    env = environment(worker)
    function = transformed["Resources"]["ClassifyFunction"]["Properties"]["Environment"]["Variables"]
    not_for_the_worker = {"JWT_SECRET_ARN", "JWT_ISSUER", "JWT_AUDIENCE", "MODEL_THREADS"}  # it signs no tokens
    missing = set(function) - not_for_the_worker - set(env)
    assert not missing, f"ClassifyFunction has settings the GPU worker lacks: {sorted(missing)}"
    differing = {
        name for name in set(function) & set(env) if function[name] != env[name] and name != "POWERTOOLS_SERVICE_NAME"
    }
    assert not differing
    queue = gpu["ClassifyQueue"]["Properties"]
    assert env["MAX_RECEIVE_COUNT"] == str(queue["RedrivePolicy"]["maxReceiveCount"])
    assert env["QUEUE_URL"] == {"Ref": "ClassifyQueue"}
    assert env["BATCH_SIZE"] == {"Ref": "GpuBatchSize"}
    assert env["POWERTOOLS_SERVICE_NAME"] == "batch-worker"
    assert (env["MODEL_BACKEND"], env["ONNX_PROVIDERS"]) == ("onnx", "auto")


def test_the_task_role_grants_exactly_what_the_worker_does(gpu: dict[str, Any]) -> None:
    role = gpu["GpuWorkerTaskRole"]["Properties"]
    assert role["ManagedPolicyArns"] == [{"Ref": "MongoDbUriSecretReadPolicy"}]  # the functions' too
    assert role["AssumeRolePolicyDocument"]["Statement"][0]["Principal"] == {"Service": "ecs-tasks.amazonaws.com"}
    bucket = "${UploadsBucket.Arn}"
    granted = set()
    for policy in role["Policies"]:
        for statement in policy["PolicyDocument"]["Statement"]:
            assert statement["Effect"] == "Allow"
            assert set(statement) == {"Effect", "Action", "Resource"}
            actions = statement["Action"] if isinstance(statement["Action"], list) else [statement["Action"]]
            resources = statement["Resource"] if isinstance(statement["Resource"], list) else [statement["Resource"]]
            granted |= {(action, json.dumps(resource, sort_keys=True)) for action in actions for resource in resources}
    queue = {"Fn::GetAtt": ["ClassifyQueue", "Arn"]}
    uploaded = [{"Fn::Sub": f"{bucket}/uploads/*"}, {"Fn::Sub": f"{bucket}/inbox/*"}]
    expected = [
        *((action, queue) for action in SQS_CONSUMER_ACTIONS),
        *((action, key) for action in ("s3:GetObject", "s3:DeleteObject") for key in uploaded),
        ("s3:PutObject", {"Fn::Sub": f"{bucket}/results/*"}),
        ("ses:SendRawEmail", {"Fn::Sub": "arn:${AWS::Partition}:ses:${AWS::Region}:${AWS::AccountId}:identity/*"}),
        ("sqs:SendMessage", {"Fn::GetAtt": ["EmailQueue", "Arn"]}),  # result emails are queued, as by the function
    ]
    assert granted == {(action, json.dumps(resource, sort_keys=True)) for action, resource in expected}


def test_the_execution_role_only_pulls_the_image_and_ships_logs(gpu: dict[str, Any]) -> None:
    role = gpu["GpuWorkerExecutionRole"]["Properties"]
    assert "Policies" not in role
    (policy,) = role["ManagedPolicyArns"]
    assert policy["Fn::Sub"].endswith(":policy/service-role/AmazonECSTaskExecutionRolePolicy")
    task = only(gpu, "AWS::ECS::TaskDefinition")
    assert task["TaskRoleArn"] == {"Fn::GetAtt": ["GpuWorkerTaskRole", "Arn"]}
    assert task["ExecutionRoleArn"] == {"Fn::GetAtt": ["GpuWorkerExecutionRole", "Arn"]}


# --- scaling on the queue ---------------------------------------------------------------------------------------------
def _policy_alarms(resources: dict[str, Any], policy: str) -> list[dict[str, Any]]:
    return [
        alarm["Properties"]
        for alarm in of_type(resources, "AWS::CloudWatch::Alarm").values()
        if {"Ref": policy} in alarm["Properties"].get("AlarmActions", [])
    ]


def _metric_names(alarm: dict[str, Any]) -> set[str]:
    return {query["MetricStat"]["Metric"]["MetricName"] for query in alarm["Metrics"] if "MetricStat" in query}


def test_the_service_scales_between_zero_and_the_most_instances(gpu: dict[str, Any]) -> None:
    target = only(gpu, "AWS::ApplicationAutoScaling::ScalableTarget")
    assert (target["MinCapacity"], target["MaxCapacity"]) == (0, {"Ref": "GpuMaxInstances"})
    assert target["ScalableDimension"] == "ecs:service:DesiredCount"
    assert target["ResourceId"] == {"Fn::Sub": "service/${GpuCluster}/${GpuWorkerService.Name}"}


def test_target_tracking_holds_the_backlog_per_running_task(gpu: dict[str, Any]) -> None:
    policy = gpu["GpuBacklogPerTaskScaling"]["Properties"]
    assert policy["PolicyType"] == "TargetTrackingScaling"
    tracking = policy["TargetTrackingScalingPolicyConfiguration"]
    assert tracking["TargetValue"] == {"Ref": "GpuBacklogPerTask"}
    queries = {query["Id"]: query for query in tracking["CustomizedMetricSpecification"]["Metrics"]}
    (returned,) = [query for query in queries.values() if query["ReturnData"]]
    numerator, denominator = (part.strip() for part in returned["Expression"].split("/"))
    assert queries[numerator]["MetricStat"]["Metric"]["MetricName"] == "ApproximateNumberOfMessagesVisible"
    assert queries[denominator]["MetricStat"]["Metric"]["Namespace"] == "ECS/ContainerInsights"
    assert queries[denominator]["MetricStat"]["Metric"]["MetricName"] == "RunningTaskCount"
    cluster = only(gpu, "AWS::ECS::Cluster")
    assert {"Name": "containerInsights", "Value": "enabled"} in cluster["ClusterSettings"]  # it publishes the count


def test_waiting_messages_start_the_first_worker(gpu: dict[str, Any]) -> None:
    policy = gpu["GpuStartFromZeroScaling"]["Properties"]["StepScalingPolicyConfiguration"]
    assert policy["AdjustmentType"] == "ChangeInCapacity"  # never lowers a running fleet
    assert [step["ScalingAdjustment"] for step in policy["StepAdjustments"]] == [1]
    (alarm,) = _policy_alarms(gpu, "GpuStartFromZeroScaling")
    assert _metric_names(alarm) == {"ApproximateNumberOfMessagesVisible", "DesiredTaskCount"}
    assert (alarm["ComparisonOperator"], alarm["Threshold"]) == ("GreaterThanThreshold", 0)


def test_an_idle_queue_stops_every_worker(gpu: dict[str, Any]) -> None:
    policy = gpu["GpuStopWhenIdleScaling"]["Properties"]["StepScalingPolicyConfiguration"]
    assert policy["AdjustmentType"] == "ExactCapacity"
    assert [step["ScalingAdjustment"] for step in policy["StepAdjustments"]] == [0]
    (alarm,) = _policy_alarms(gpu, "GpuStopWhenIdleScaling")
    assert _metric_names(alarm) == {"ApproximateNumberOfMessagesVisible", "ApproximateNumberOfMessagesNotVisible"}
    assert (alarm["ComparisonOperator"], alarm["Threshold"]) == ("LessThanOrEqualToThreshold", 0)
    assert alarm["EvaluationPeriods"] * 60 >= 10 * 60  # idle for a while, not between two bursts
    assert alarm["TreatMissingData"] == "notBreaching"


def test_an_old_message_raises_an_alarm_in_every_mode(transformed: dict[str, Any]) -> None:
    for mode in MODES:
        alarm = deployed(transformed, parameters_for(mode))["Resources"]["ClassifyQueueAgeAlarm"]["Properties"]
        assert alarm["MetricName"] == "ApproximateAgeOfOldestMessage"
        assert alarm["Dimensions"] == [{"Name": "QueueName", "Value": {"Fn::GetAtt": ["ClassifyQueue", "QueueName"]}}]
