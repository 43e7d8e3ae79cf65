from __future__ import annotations

import pytest

from devstack.intrinsics import Resolver, Unresolvable, references


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
