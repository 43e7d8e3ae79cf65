"""The local stack polls a queue for a function only where the deployed stack would: an SQS event's `Enabled`."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from devstack import stack as stack_module
from devstack.intrinsics import Resolver
from devstack.provision import pseudo_parameters
from devstack.queues import event_source_enabled
from devstack.stack import Stack, StackConfig
from devstack.template import Template

ROOT = Path(__file__).resolve().parents[2]
QUEUE_ARN = "arn:aws:sqs:us-east-1:123456789012:jobs"


@pytest.mark.parametrize(
    ("properties", "enabled"),
    [
        ({}, True),
        ({"Enabled": True}, True),
        ({"Enabled": False}, False),
        ({"Enabled": "false"}, False),  # CloudFormation takes the string too
        ({"Enabled": "True"}, True),
        ({"Enabled": ""}, True),  # !Ref AWS::NoValue, resolved: the property is unset
    ],
)
def test_an_sqs_event_is_enabled_unless_it_says_false(properties: dict[str, Any], enabled: bool) -> None:
    assert event_source_enabled(properties) is enabled


@pytest.mark.parametrize(("consumers", "polled"), [("lambda", True), ("both", True), ("gpu", False)])
def test_the_classify_trigger_follows_classify_consumers(consumers: str, polled: bool) -> None:
    template = Template(ROOT / "template.yaml")
    defaults = {name: spec["Default"] for name, spec in template.parameters.items() if "Default" in spec}
    parameters = {**defaults, "ClassifyConsumers": consumers, **pseudo_parameters("local")}
    resolver = Resolver(parameters, {}, {}, template.conditions)
    (properties,) = [p for function, p in template.sqs_event_sources() if function == "ClassifyFunction"]
    switches = {key: properties[key] for key in ("Enabled", "ScalingConfig") if key in properties}
    assert event_source_enabled(resolver.resolve(switches)) is polled


FUNCTION = """
  {name}:
    Type: AWS::Serverless::Function
    Properties:
      CodeUri: functions/{name}/
      Handler: app.lambda_handler
      Events:
        Jobs:
          Type: SQS
          Properties:
            Queue: !GetAtt Jobs.Arn
            BatchSize: 5
{enabled}"""

TEMPLATE = """
Parameters:
  Consumers: {Type: String, Default: gpu}
Conditions:
  GpuOnly: !Equals [!Ref Consumers, gpu]
Resources:
  Jobs:
    Type: AWS::SQS::Queue
""" + "".join(
    FUNCTION.format(name=name, enabled=enabled)
    for name, enabled in [
        ("Polled", ""),
        ("SwitchedOff", "            Enabled: !If [GpuOnly, false, true]\n"),
        ("Off", "            Enabled: false\n"),
    ]
)


class FakeProvisioner:
    def __init__(self, template: Template) -> None:
        parameters = {"Consumers": "gpu", **pseudo_parameters("local")}
        self.resolver = Resolver(parameters, {}, {("Jobs", "Arn"): QUEUE_ARN}, template.conditions)

    def client(self, service: str) -> object:
        return object()


def test_the_local_stack_starts_no_poller_for_a_disabled_sqs_event(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    started: list[str] = []

    class RecordingPoller:
        def __init__(self, source: Any, pool: Any, sqs: Any, *, retry_seconds: int) -> None:
            self.source = source

        def start(self) -> None:
            started.append(self.source.function)

    monkeypatch.setattr(stack_module, "QueuePoller", RecordingPoller)
    path = tmp_path / "template.yaml"
    path.write_text(TEMPLATE)
    stack = Stack(StackConfig.from_env({"LOCAL_TEMPLATE": str(path), "LOCAL_DATA_DIR": str(tmp_path / "data")}))
    stack.pool = object()  # type: ignore[assignment] - the recording poller never invokes it
    stack._start_pollers(FakeProvisioner(stack.template))  # type: ignore[arg-type]
    assert started == ["Polled"]
