"""The MongoDB URI reaches the functions only through a secret the user created: the template takes the secret's
ARN or name (never the URI), and every reader of it is granted exactly that secret."""

from __future__ import annotations

import re
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from samtranslator.yaml_helper import yaml_parse

from devstack.intrinsics import Resolver
from devstack.provision import ACCOUNT_ID, REGION, pseudo_parameters
from tests.unit.test_template import TEMPLATE, _of_type, transformed  # noqa: F401 - the fixture

DOCUMENT = yaml_parse(TEMPLATE.read_text())
PARAMETER = DOCUMENT["Parameters"]["MongoDbUriSecret"]
PATTERN = re.compile(PARAMETER["AllowedPattern"])
SECRET_NAMES = st.text(alphabet="ABCXYZabcxyz0189/_+=.@-", min_size=1, max_size=64)


def arn_of(name: str) -> str:
    return f"arn:aws:secretsmanager:{REGION}:{ACCOUNT_ID}:secret:{name}-AbC123"


@given(SECRET_NAMES)
def test_a_secret_name_or_its_arn_is_accepted(name: str) -> None:
    assert PATTERN.match(name)
    assert PATTERN.match(arn_of(name))


@pytest.mark.parametrize(
    "uri",
    [
        "mongodb+srv://user:password@cluster0.example.mongodb.net/?retryWrites=true",
        "mongodb://127.0.0.1:27017/?directConnection=true",
        "mongodb+srv://cluster0.example.mongodb.net",
    ],
)
def test_a_connection_string_is_refused_by_the_parameter(uri: str) -> None:
    assert not PATTERN.match(uri)
    assert "NoEcho" not in PARAMETER  # it holds no secret, so the console may show it


@given(st.text(), st.sampled_from(["mongodb", "mongodb+srv", "https"]), st.text())
def test_nothing_that_looks_like_a_url_passes(before: str, scheme: str, after: str) -> None:
    assert not PATTERN.match(f"{before}{scheme}://{after}")


def read_policy_resource(secret: str) -> Any:
    parameters = {"MongoDbUriSecret": secret, **pseudo_parameters("stack")}
    resolver = Resolver(parameters, {}, {}, DOCUMENT["Conditions"])
    (statement,) = DOCUMENT["Resources"]["MongoDbUriSecretReadPolicy"]["Properties"]["PolicyDocument"]["Statement"]
    return resolver.resolve(statement["Resource"])


@given(SECRET_NAMES)
def test_the_policy_grants_exactly_the_secret_named(name: str) -> None:
    arn = arn_of(name)
    assert read_policy_resource(arn) == arn
    # By name: Secrets Manager's ARN is the name, a dash and six random characters.
    assert read_policy_resource(name) == f"arn:aws:secretsmanager:{REGION}:{ACCOUNT_ID}:secret:{name}-??????"


def test_every_function_reads_the_uri_from_the_secret_it_is_granted(transformed) -> None:  # noqa: F811
    roles = _of_type(transformed, "AWS::IAM::Role")
    for name, function in _of_type(transformed, "AWS::Lambda::Function").items():
        variables = function["Properties"]["Environment"]["Variables"]
        assert variables["MONGODB_SECRET_ARN"] == {"Ref": "MongoDbUriSecret"}, name
        assert "MONGODB_URI" not in variables, name
        role = roles[function["Properties"]["Role"]["Fn::GetAtt"][0]]["Properties"]
        assert {"Ref": "MongoDbUriSecretReadPolicy"} in role.get("ManagedPolicyArns", []), name


def test_no_secret_travels_as_a_parameter_or_a_resource_of_the_stack() -> None:
    assert [name for name, spec in DOCUMENT["Parameters"].items() if spec.get("NoEcho")] == []
    assert not _of_type(DOCUMENT, "AWS::SecretsManager::Secret").keys() - {"JwtSigningKey"}
