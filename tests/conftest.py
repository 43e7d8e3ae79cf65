"""Fixtures that start real local servers: the whole stack as `make run` starts it, or an embedded SecantusDB."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path

import boto3
import pytest
import requests
from pymongo import MongoClient
from pymongo.database import Database
from secantus import SecantusDBServer

from devstack.stack import free_port

ROOT = Path(__file__).resolve().parent.parent


@dataclass
class RunningStack:
    process: subprocess.Popen[bytes]
    api_url: str
    mongodb_uri: str
    aws_endpoint: str
    log_path: Path

    def url(self, path: str) -> str:
        return self.api_url + path

    def stop(self) -> int:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGINT)
        return self.process.wait(timeout=30)

    def log_text(self) -> str:
        return self.log_path.read_text(errors="replace")


def start_stack(
    data_dir: Path, extra_env: Mapping[str, str] | None = None, *, log_name: str = "stack.log", healthy: bool = True
) -> RunningStack:
    """Run `python -m devstack` (what `make run` runs) on free ports; wait until /health answers (200 if healthy)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "MONGODB_", "LOCAL_"))}
    env.update(
        {
            "LOCAL_API_PORT": str(free_port()),
            "LOCAL_AWS_PORT": str(free_port()),
            "LOCAL_MONGO_PORT": str(free_port()),
            "LOCAL_DATA_DIR": str(data_dir),
            "BCRYPT_ROUNDS": "4",
            "PYTHONUNBUFFERED": "1",
        }
    )
    env.update(extra_env or {})
    log_path = data_dir / log_name
    data_dir.mkdir(parents=True, exist_ok=True)
    with open(log_path, "ab") as log:
        process = subprocess.Popen([sys.executable, "-m", "devstack"], cwd=ROOT, env=env, stdout=log, stderr=log)
    api_url = f"http://127.0.0.1:{env['LOCAL_API_PORT']}"
    stack = RunningStack(
        process=process,
        api_url=api_url,
        mongodb_uri=env.get("MONGODB_URI") or f"mongodb://127.0.0.1:{env['LOCAL_MONGO_PORT']}/?directConnection=true",
        aws_endpoint=env.get("LOCAL_AWS_ENDPOINT") or f"http://127.0.0.1:{env['LOCAL_AWS_PORT']}",
        log_path=log_path,
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"the stack exited with {process.returncode}:\n{stack.log_text()}")
        try:
            status = requests.get(stack.url("/health"), timeout=10).status_code
            if status == 200 or not healthy:
                return stack
        except requests.ConnectionError:
            pass
        time.sleep(0.2)
    stack.stop()
    raise TimeoutError(f"the stack did not become healthy:\n{stack.log_text()}")


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


@pytest.fixture(scope="session")
def stack_db(stack: RunningStack) -> Iterator[Database]:
    client = MongoClient(stack.mongodb_uri, tz_aware=True)
    yield client["imagepredict"]
    client.close()


@pytest.fixture(scope="session")
def aws_secrets(stack: RunningStack):
    return boto3.client(
        "secretsmanager",
        endpoint_url=stack.aws_endpoint,
        region_name="us-east-1",
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    )


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
