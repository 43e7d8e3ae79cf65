"""Fixtures that start real local servers: the whole stack as `make run` starts it, or an embedded SecantusDB."""

from __future__ import annotations

import importlib.util
import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import boto3
import pytest
from pymongo import MongoClient
from pymongo.database import Database
from secantus import SecantusDBServer

from devstack.launch import RunningStack, start_stack
from devstack.stack import free_port

ROOT = Path(__file__).resolve().parent.parent
# What the tests marked `tensorflow` import: .venv-convert has them, .venv (what `make run` installs) does not.
CONVERTER_MODULES = ("tensorflow", "tf2onnx", "sklearn")


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_setup(item: pytest.Item) -> None:
    """A test marked `tensorflow` is skipped where TensorFlow & co. are missing, or fails under REQUIRE_TENSORFLOW
    (`make test` runs those tests in .venv-convert with it set, and the others in .venv with `-m "not tensorflow"`)."""
    if item.get_closest_marker("tensorflow") is None:
        return
    missing = [name for name in CONVERTER_MODULES if importlib.util.find_spec(name) is None]
    if not missing:
        return
    message = (
        f"{', '.join(missing)} not installed in this venv: tests marked `tensorflow` run in .venv-convert "
        "(`make convert-deps`; `make test` runs them there)"
    )
    if os.environ.get("REQUIRE_TENSORFLOW"):
        pytest.fail(message, pytrace=False)
    pytest.skip(message)


@pytest.fixture(scope="session")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningStack]:
    running = start_stack(tmp_path_factory.mktemp("stack"))
    yield running
    assert running.stop() == 0, running.log_text()


@pytest.fixture(scope="session")
def short_token_stack(stack: RunningStack, tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningStack]:
    """A second gateway on the same Mongo and AWS whose access tokens live one second."""
    running = start_stack(
        tmp_path_factory.mktemp("short"),
        {
            "MONGODB_URI": stack.mongodb_uri,
            "LOCAL_AWS_ENDPOINT": stack.aws_endpoint,
            "LOCAL_STACK_NAME": "imagepredict-short",  # its own resources on the shared moto, as a second stack
            "ACCESS_TOKEN_TTL_SECONDS": "1",
        },
    )
    yield running
    running.stop()


# The administrators of admin_stack: addresses no other test registers (each becomes admin once verified).
ADMIN_ADDRESSES = tuple(f"admin-{uuid.uuid4().hex[:10]}-{index}@example.com" for index in range(6))
ADMIN_STACK_NAME = "imagepredict-admin"


@pytest.fixture(scope="session")
def admin_stack(stack: RunningStack, tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningStack]:
    """A second gateway on the same Mongo and AWS whose ADMIN_EMAILS are ADMIN_ADDRESSES, with its own queues and
    bucket (so the dead-letter tests see only their own messages)."""
    running = start_stack(
        tmp_path_factory.mktemp("admin"),
        {
            "MONGODB_URI": stack.mongodb_uri,
            "LOCAL_AWS_ENDPOINT": stack.aws_endpoint,
            "LOCAL_STACK_NAME": ADMIN_STACK_NAME,
            "ADMIN_EMAILS": ",".join(ADMIN_ADDRESSES),
        },
    )
    yield running
    running.stop()


@pytest.fixture(scope="session")
def stack_db(stack: RunningStack) -> Iterator[Database]:
    client = MongoClient(stack.mongodb_uri, tz_aware=True)
    yield client["imagepredict"]
    client.close()


def aws_client(stack: RunningStack, service: str):
    """A boto3 client for the stack's moto server."""
    return boto3.client(
        service,
        endpoint_url=stack.aws_endpoint,
        region_name="us-east-1",
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    )


@pytest.fixture(scope="session")
def aws_secrets(stack: RunningStack):
    return aws_client(stack, "secretsmanager")


@pytest.fixture(scope="session")
def mongo_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SecantusDBServer]:
    """An embedded SecantusDB for tests of the stores and services (real wire protocol, no gateway)."""
    server = SecantusDBServer(port=free_port(), storage_path=str(tmp_path_factory.mktemp("mongo")))
    server.start()
    yield server
    server.stop()


@pytest.fixture
def database(mongo_server: SecantusDBServer) -> Iterator[Database]:
    client = MongoClient(mongo_server.uri, directConnection=True, tz_aware=True)
    name = f"test_{uuid.uuid4().hex[:12]}"
    yield client[name]
    client.drop_database(name)
    client.close()


def unique_email(prefix: str = "user") -> str:
    return f"{prefix}-{uuid.uuid4().hex[:10]}@example.com"
