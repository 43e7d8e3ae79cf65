"""Create in moto the AWS resources template.yaml declares, so the local stack never keeps a second list."""

from __future__ import annotations

import contextlib
import json
import logging
import secrets
import string
import uuid
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import boto3

from devstack.intrinsics import Resolver, Unresolvable, references
from devstack.template import Template

log = logging.getLogger("devstack.provision")

ACCOUNT_ID = "123456789012"
REGION = "us-east-1"
PUNCTUATION = "!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~"

# Served by the gateway and the workers, or meaningless locally (roles, alarms, policies moto does not enforce).
_NOT_PROVISIONED = {
    "AWS::Serverless::Function",
    "AWS::Serverless::LayerVersion",
    "AWS::Serverless::HttpApi",
    "AWS::SQS::QueuePolicy",
    "AWS::S3::BucketPolicy",
    "AWS::CloudWatch::Alarm",
    "AWS::IAM::Role",
    "AWS::IAM::ManagedPolicy",
    "AWS::Lambda::Permission",
    "AWS::SNS::Topic",
    "AWS::SNS::Subscription",  # alarm emails
    "AWS::CloudWatch::Dashboard",
    "AWS::Logs::LogGroup",  # locally the functions log to the terminal
}


def stack_id(stack_name: str) -> str:
    """A CloudFormation stack ARN for the local stack: its UUID part is derived from the name, so a stack's resource
    names (the uploads bucket's) stay the same across restarts, and two stacks on one moto get different ones."""
    unique = uuid.uuid5(uuid.NAMESPACE_URL, f"imagepredict-local/{stack_name}")
    return f"arn:aws:cloudformation:{REGION}:{ACCOUNT_ID}:stack/{stack_name}/{unique}"


def pseudo_parameters(stack_name: str) -> dict[str, str]:
    return {
        "AWS::AccountId": ACCOUNT_ID,
        "AWS::Region": REGION,
        "AWS::StackName": stack_name,
        "AWS::StackId": stack_id(stack_name),
        "AWS::Partition": "aws",
        "AWS::URLSuffix": "amazonaws.com",
        "AWS::NoValue": "",
    }


def generate_secret_string(spec: Mapping[str, Any]) -> str:
    """What Secrets Manager's GenerateSecretString would produce, for the options templates use."""
    alphabet = ""
    if not spec.get("ExcludeLowercase"):
        alphabet += string.ascii_lowercase
    if not spec.get("ExcludeUppercase"):
        alphabet += string.ascii_uppercase
    if not spec.get("ExcludeNumbers"):
        alphabet += string.digits
    if not spec.get("ExcludePunctuation"):
        alphabet += PUNCTUATION
    if spec.get("IncludeSpace"):
        alphabet += " "
    alphabet = "".join(c for c in alphabet if c not in spec.get("ExcludeCharacters", ""))
    value = "".join(secrets.choice(alphabet) for _ in range(int(spec.get("PasswordLength", 32))))
    if "SecretStringTemplate" in spec:
        document = json.loads(spec["SecretStringTemplate"])
        document[spec["GenerateStringKey"]] = value
        return json.dumps(document)
    return value


def local_client(service: str, endpoint_url: str) -> Any:
    return boto3.client(
        service,
        endpoint_url=endpoint_url,
        region_name=REGION,
        aws_access_key_id="testing",
        aws_secret_access_key="testing",  # noqa: S106 - moto accepts any credentials
    )


def store_user_secret(endpoint_url: str, name: str, value: str) -> str:
    """What a user does once before deploying (`aws secretsmanager create-secret`); returns the secret's ARN."""
    client = local_client("secretsmanager", endpoint_url)
    try:
        return client.create_secret(Name=name, SecretString=value)["ARN"]
    except client.exceptions.ResourceExistsException:
        current = client.get_secret_value(SecretId=name)
        if current["SecretString"] != value:  # a new value is a rotation: the old one becomes AWSPREVIOUS
            client.put_secret_value(SecretId=name, SecretString=value)
        return current["ARN"]


class Provisioner:
    """Walks the template's resources in dependency order and creates each one through the AWS APIs."""

    def __init__(
        self,
        template: Template,
        *,
        endpoint_url: str,
        parameters: Mapping[str, Any],
        state_dir: Path,
        stack_name: str = "imagepredict-local",
    ) -> None:
        self.template = template
        self.endpoint_url = endpoint_url
        self.stack_name = stack_name
        self.state_file = state_dir / "generated-secrets.json"
        self.parameters = {**self._parameter_defaults(), **parameters, **pseudo_parameters(stack_name)}
        self.refs: dict[str, Any] = {}
        self.buckets: list[str] = []  # the buckets created, in order
        self._after_all: list[Callable[[], None]] = []
        self.attributes: dict[tuple[str, str], Any] = {}
        self.resolver = Resolver(self.parameters, self.refs, self.attributes, template.conditions)
        self._creators: dict[str, Callable[[str, dict[str, Any]], None]] = {
            "AWS::SecretsManager::Secret": self._secret,
            "AWS::SQS::Queue": self._queue,
            "AWS::S3::Bucket": self._bucket,
            "AWS::SES::EmailIdentity": self._email_identity,
        }

    def client(self, service: str) -> Any:
        return local_client(service, self.endpoint_url)

    def _parameter_defaults(self) -> dict[str, Any]:
        return {name: spec["Default"] for name, spec in self.template.parameters.items() if "Default" in spec}

    def run(self, before_notifications: Callable[[], None] | None = None) -> None:
        """Create every resource; `before_notifications` runs once the buckets exist but send no S3 events yet."""
        for logical_id in self._in_dependency_order():
            spec = self.template.resources[logical_id]
            kind = spec["Type"]
            if "Condition" in spec and not self.resolver.condition(spec["Condition"]):
                continue
            creator = self._creators.get(kind)
            if creator:
                creator(logical_id, spec.get("Properties", {}))
                log.info("created %s %s", kind, logical_id)
            else:
                self._placeholder(logical_id, kind)
        if before_notifications is not None:
            before_notifications()
        for step in self._after_all:
            step()

    def _in_dependency_order(self) -> list[str]:
        resources = self.template.resources
        pending = {
            name: (references(spec.get("Properties", {})) | set(spec.get("DependsOn", []) or [])) & set(resources)
            for name, spec in resources.items()
        }
        # Bucket notifications are applied after everything else (they point at queues that may point back).
        for name, spec in resources.items():
            if spec.get("Type") == "AWS::S3::Bucket":
                properties = {k: v for k, v in spec.get("Properties", {}).items() if k != "NotificationConfiguration"}
                pending[name] = references(properties) & set(resources)
        ordered: list[str] = []
        while pending:
            ready = sorted(name for name, needs in pending.items() if needs <= set(ordered))
            if not ready:
                raise Unresolvable(f"circular references among {sorted(pending)}")
            ordered += ready
            for name in ready:
                del pending[name]
        return ordered

    def _placeholder(self, logical_id: str, kind: str) -> None:
        service = kind.split("::")[1].lower()
        self.refs[logical_id] = f"{self.stack_name}-{logical_id}"
        self.attributes[(logical_id, "Arn")] = f"arn:aws:{service}:{REGION}:{ACCOUNT_ID}:{logical_id}"
        if kind not in _NOT_PROVISIONED:
            log.warning("%s (%s) is not created locally", logical_id, kind)

    # --- Secrets Manager -------------------------------------------------------------------------------
    def _generated_value(self, logical_id: str, spec: Mapping[str, Any]) -> str:
        """Generated once and kept under the data folder, so tokens signed before a restart stay valid."""
        saved = json.loads(self.state_file.read_text()) if self.state_file.exists() else {}
        if logical_id not in saved:
            saved[logical_id] = generate_secret_string(spec)
            self.state_file.parent.mkdir(parents=True, exist_ok=True)
            self.state_file.write_text(json.dumps(saved))
            self.state_file.chmod(0o600)
        return saved[logical_id]

    def _secret(self, logical_id: str, properties: dict[str, Any]) -> None:
        resolved = self.resolver.resolve(properties)
        name = resolved.get("Name") or f"{self.stack_name}/{logical_id}"
        if "SecretString" in resolved:
            value = str(resolved["SecretString"])
        else:
            value = self._generated_value(logical_id, resolved.get("GenerateSecretString", {}))
        client = self.client("secretsmanager")
        try:
            arn = client.create_secret(Name=name, SecretString=value)["ARN"]
        except client.exceptions.ResourceExistsException:
            if "SecretString" in resolved:
                arn = client.put_secret_value(SecretId=name, SecretString=value)["ARN"]
            else:  # like a stack update: a generated value is kept (another stack on this moto may be using it)
                arn = client.describe_secret(SecretId=name)["ARN"]
        self.refs[logical_id] = arn
        self.attributes[(logical_id, "Id")] = arn

    # --- SQS ------------------------------------------------------------------------------------------
    def _queue(self, logical_id: str, properties: dict[str, Any]) -> None:
        resolved = self.resolver.resolve(properties)
        name = resolved.pop("QueueName", None) or f"{self.stack_name}-{logical_id}"
        attributes = {}
        for key, value in resolved.items():
            if key == "Tags":
                continue
            if key == "RedrivePolicy":
                value = json.dumps(value) if isinstance(value, dict) else value
            attributes[key] = str(value).lower() if isinstance(value, bool) else str(value)
        client = self.client("sqs")
        url = client.create_queue(QueueName=name, Attributes=attributes)["QueueUrl"]
        arn = client.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
        self.refs[logical_id] = url
        self.attributes.update(
            {(logical_id, "Arn"): arn, (logical_id, "QueueName"): name, (logical_id, "QueueUrl"): url}
        )

    # --- S3 -------------------------------------------------------------------------------------------
    def _bucket(self, logical_id: str, properties: dict[str, Any]) -> None:
        settings = {k: v for k, v in properties.items() if k != "NotificationConfiguration"}
        resolved = self.resolver.resolve(settings)
        name = resolved.get("BucketName") or f"{self.stack_name}-{logical_id}".lower()
        client = self.client("s3")
        with contextlib.suppress(client.exceptions.BucketAlreadyOwnedByYou):
            client.create_bucket(Bucket=name)
        self.refs[logical_id] = name
        self.buckets.append(name)
        self.attributes.update(
            {
                (logical_id, "Arn"): f"arn:aws:s3:::{name}",
                (logical_id, "DomainName"): f"{name}.s3.amazonaws.com",
                (logical_id, "RegionalDomainName"): f"{name}.s3.{REGION}.amazonaws.com",
            }
        )
        self._bucket_settings(client, name, resolved)
        if "NotificationConfiguration" in properties:
            notifications = properties["NotificationConfiguration"]
            self._after_all.append(
                lambda: self._bucket_notifications(client, name, self.resolver.resolve(notifications))
            )

    @staticmethod
    def _bucket_settings(client: Any, name: str, resolved: Mapping[str, Any]) -> None:
        if "PublicAccessBlockConfiguration" in resolved:
            client.put_public_access_block(
                Bucket=name, PublicAccessBlockConfiguration=resolved["PublicAccessBlockConfiguration"]
            )
        if "BucketEncryption" in resolved:
            rules = [
                _encryption_rule(rule) for rule in resolved["BucketEncryption"]["ServerSideEncryptionConfiguration"]
            ]
            client.put_bucket_encryption(Bucket=name, ServerSideEncryptionConfiguration={"Rules": rules})
        if "CorsConfiguration" in resolved:
            rules = [_cors_rule(rule) for rule in resolved["CorsConfiguration"]["CorsRules"]]
            client.put_bucket_cors(Bucket=name, CORSConfiguration={"CORSRules": rules})
        if "LifecycleConfiguration" in resolved:
            rules = [_lifecycle_rule(rule) for rule in resolved["LifecycleConfiguration"]["Rules"]]
            client.put_bucket_lifecycle_configuration(Bucket=name, LifecycleConfiguration={"Rules": rules})

    @staticmethod
    def _bucket_notifications(client: Any, name: str, resolved: Mapping[str, Any]) -> None:
        queues = []
        for entry in resolved.get("QueueConfigurations", []):
            configuration: dict[str, Any] = {"QueueArn": entry["Queue"], "Events": [entry["Event"]]}
            rules = entry.get("Filter", {}).get("S3Key", {}).get("Rules")
            if rules:
                configuration["Filter"] = {"Key": {"FilterRules": rules}}
            queues.append(configuration)
        client.put_bucket_notification_configuration(
            Bucket=name, NotificationConfiguration={"QueueConfigurations": queues}
        )

    # --- SES ------------------------------------------------------------------------------------------
    def _email_identity(self, logical_id: str, properties: dict[str, Any]) -> None:
        identity = str(self.resolver.resolve(properties["EmailIdentity"]))
        client = self.client("ses")
        if "@" in identity:
            client.verify_email_identity(EmailAddress=identity)
        else:
            client.verify_domain_identity(Domain=identity)
        self.refs[logical_id] = identity


def _encryption_rule(rule: Mapping[str, Any]) -> dict[str, Any]:
    converted: dict[str, Any] = {"ApplyServerSideEncryptionByDefault": dict(rule["ServerSideEncryptionByDefault"])}
    if "BucketKeyEnabled" in rule:
        converted["BucketKeyEnabled"] = bool(rule["BucketKeyEnabled"])
    return converted


def _cors_rule(rule: Mapping[str, Any]) -> dict[str, Any]:
    renamed = {"Id": "ID", "MaxAge": "MaxAgeSeconds", "ExposedHeaders": "ExposeHeaders"}
    converted = {renamed.get(key, key): value for key, value in rule.items()}
    if "MaxAgeSeconds" in converted:
        converted["MaxAgeSeconds"] = int(converted["MaxAgeSeconds"])
    return converted


def _lifecycle_rule(rule: Mapping[str, Any]) -> dict[str, Any]:
    """CloudFormation's lifecycle rule shape, in the S3 API's words."""
    converted: dict[str, Any] = {"ID": rule.get("Id", "rule"), "Status": rule.get("Status", "Enabled")}
    converted["Filter"] = {"Prefix": rule.get("Prefix", "")}
    if "ExpirationInDays" in rule:
        converted["Expiration"] = {"Days": int(rule["ExpirationInDays"])}
    if "AbortIncompleteMultipartUpload" in rule:
        days = int(rule["AbortIncompleteMultipartUpload"]["DaysAfterInitiation"])
        converted["AbortIncompleteMultipartUpload"] = {"DaysAfterInitiation": days}
    return converted
