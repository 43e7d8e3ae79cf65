from __future__ import annotations

from pathlib import Path

import pytest

from devstack.intrinsics import Resolver, Unresolvable, references
from devstack.provision import pseudo_parameters
from devstack.template import Template


@pytest.fixture
def resolver() -> Resolver:
    return Resolver(
        parameters={"Stage": "dev", "AWS::Region": "us-east-1"},
        refs={"Queue": "https://sqs/queue"},
        attributes={("Queue", "Arn"): "arn:aws:sqs:us-east-1:1:queue"},
        conditions={"IsDev": {"Fn::Equals": [{"Ref": "Stage"}, "dev"]}},
    )


def test_ref_getatt_and_sub(resolver: Resolver) -> None:
    value = {
        "a": {"Ref": "Stage"},
        "b": {"Fn::GetAtt": ["Queue", "Arn"]},
        "c": {"Fn::Sub": "${Stage}-${AWS::Region}-${Queue.Arn}-${!Literal}"},
        "d": {"Fn::Sub": ["${X}/${Stage}", {"X": {"Ref": "Queue"}}]},
        "e": {"Fn::Join": ["-", ["a", {"Ref": "Stage"}]]},
        "f": {"Fn::If": ["IsDev", "yes", "no"]},
        "g": {"Fn::Select": [1, {"Fn::Split": [",", "x,y"]}]},
    }
    assert resolver.resolve(value) == {
        "a": "dev",
        "b": "arn:aws:sqs:us-east-1:1:queue",
        "c": "dev-us-east-1-arn:aws:sqs:us-east-1:1:queue-${Literal}",
        "d": "https://sqs/queue/dev",
        "e": "a-dev",
        "f": "yes",
        "g": "y",
    }


def test_unknown_names_are_reported(resolver: Resolver) -> None:
    with pytest.raises(Unresolvable, match="Missing"):
        resolver.resolve({"Ref": "Missing"})


def test_references_finds_every_kind() -> None:
    value = {"x": [{"Ref": "A"}, {"Fn::GetAtt": "B.Arn"}, {"Fn::Sub": "${C.Arn}/${D}/${!E}"}]}
    assert references(value) == {"A", "B", "C", "D"}


def test_the_local_stack_id_names_the_uploads_bucket_as_cloudformation_would() -> None:
    """template.yaml names its bucket from the stack id's UUID: locally a stable one per stack name."""
    template = Template(Path(__file__).resolve().parents[2] / "template.yaml")
    expression = template.resources["UploadsBucket"]["Properties"]["BucketName"]

    def name(stack: str) -> str:
        return Resolver(pseudo_parameters(stack), {}, {}).resolve(expression)

    stack_id = pseudo_parameters("local")["AWS::StackId"]
    assert stack_id.startswith("arn:aws:cloudformation:us-east-1:123456789012:stack/local/")
    assert name("imagepredict-local") == name("imagepredict-local")  # the same bucket after a restart
    assert name("imagepredict-local") != name("imagepredict-short")  # a second stack on the same moto: its own
    assert len(name("A" * 128)) == len("imagepredict-uploads-") + 36
