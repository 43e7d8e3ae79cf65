"""The local stack creates what a template declares, in moto's server over HTTP."""

from __future__ import annotations

import json
import uuid
from pathlib import Path
from urllib.parse import unquote_plus

import pytest

from devstack.provision import Provisioner, stack_id
from devstack.template import Template
from tests.conftest import RunningStack

FIXTURE = Path(__file__).resolve().parents[1] / "fixtures" / "pipeline-template.yaml"


@pytest.fixture
def provisioned(stack: RunningStack, tmp_path: Path) -> Provisioner:
    provisioner = Provisioner(
        Template(FIXTURE),
        endpoint_url=stack.aws_endpoint,
        parameters={},
        state_dir=tmp_path,
        stack_name=f"prov-{uuid.uuid4().hex[:8]}",
    )
    provisioner.run()
    return provisioner


def test_queues_with_redrive_to_the_dead_letter_queue(provisioned: Provisioner) -> None:
    sqs = provisioned.client("sqs")
    attributes = sqs.get_queue_attributes(QueueUrl=provisioned.refs["WorkQueue"], AttributeNames=["All"])["Attributes"]
    assert attributes["VisibilityTimeout"] == "180"
    redrive = json.loads(attributes["RedrivePolicy"])
    assert redrive["deadLetterTargetArn"] == provisioned.attributes[("DeadLetters", "Arn")]
    assert int(redrive["maxReceiveCount"]) == 3


def test_bucket_settings_and_notification_reach_the_queue(provisioned: Provisioner) -> None:
    s3, sqs = provisioned.client("s3"), provisioned.client("sqs")
    bucket = provisioned.refs["Uploads"]
    assert bucket == f"prov-uploads-{stack_id(provisioned.stack_name).rsplit('/', 1)[1]}"
    assert s3.get_public_access_block(Bucket=bucket)["PublicAccessBlockConfiguration"]["BlockPublicAcls"] is True
    rules = s3.get_bucket_encryption(Bucket=bucket)["ServerSideEncryptionConfiguration"]["Rules"]
    assert rules[0]["ApplyServerSideEncryptionByDefault"]["SSEAlgorithm"] == "AES256"
    assert s3.get_bucket_cors(Bucket=bucket)["CORSRules"][0]["AllowedMethods"] == ["POST"]
    lifecycle = s3.get_bucket_lifecycle_configuration(Bucket=bucket)["Rules"][0]
    assert lifecycle["Expiration"]["Days"] == 7

    queue = provisioned.refs["WorkQueue"]
    s3.put_object(Bucket=bucket, Key="elsewhere/ignored.txt", Body=b"x")
    s3.put_object(Bucket=bucket, Key="uploads/cat photo.png", Body=b"x")
    records = []
    for _ in range(5):
        for message in sqs.receive_message(QueueUrl=queue, MaxNumberOfMessages=10, WaitTimeSeconds=1).get(
            "Messages", []
        ):
            records += json.loads(message["Body"]).get("Records", [])
        if records:
            break
    # S3 URL-encodes keys in events (moto encodes the `/` too): consumers must always unquote_plus.
    assert [unquote_plus(r["s3"]["object"]["key"]) for r in records] == ["uploads/cat photo.png"]


def test_generated_secret_is_kept_across_runs(provisioned: Provisioner, stack: RunningStack, tmp_path: Path) -> None:
    secrets = provisioned.client("secretsmanager")
    first = secrets.get_secret_value(SecretId=provisioned.refs["ApiKey"])["SecretString"]
    assert len(first) == 40
    assert first.isalnum()
    again = Provisioner(
        Template(FIXTURE),
        endpoint_url=stack.aws_endpoint,
        parameters={},
        state_dir=tmp_path,
        stack_name=provisioned.stack_name,
    )
    again.run()
    assert secrets.get_secret_value(SecretId=again.refs["ApiKey"])["SecretString"] == first


def test_sender_identity_is_verified(provisioned: Provisioner) -> None:
    identities = provisioned.client("ses").list_identities()["Identities"]
    assert "results@example.com" in identities
