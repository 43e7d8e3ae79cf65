"""Start and stop the whole local system: MongoDB (SecantusDB), AWS (moto), resources, functions, gateway."""

from __future__ import annotations

import json
import logging
import os
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from werkzeug.serving import BaseWSGIServer, make_server

from devstack.batch import (
    WORKER_VARIABLES,
    answers_200,
    classifier_mode,
    worker_process_env,
    worker_settings,
    write_worker_env_file,
)
from devstack.functions import DeployedFunction, FunctionPool
from devstack.gateway import Cors, Gateway
from devstack.provision import REGION, Provisioner, store_user_secret
from devstack.queues import EventSource, QueuePoller, event_source_enabled
from devstack.s3snapshot import Snapshots
from devstack.template import FunctionSpec, Template

log = logging.getLogger("devstack")
CLASSIFY_FUNCTION = "ClassifyFunction"
# Local values for settings the template declares: moto's SES reports the sandbox's 1 email/s and enforces nothing,
# so emails go out at a brisk local pace (your shell's value still wins).
LOCAL_DEFAULTS = {"EMAIL_MAX_SEND_RATE": "50"}

ROOT = Path(__file__).resolve().parent.parent
HOST = "127.0.0.1"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind((HOST, 0))
        return probe.getsockname()[1]


def _port(env: Mapping[str, str], name: str, default: int) -> int:
    value = int(env.get(name) or default)
    return value or free_port()


@dataclass(frozen=True)
class StackConfig:
    api_port: int
    aws_port: int
    mongo_port: int
    data_dir: Path
    template: Path
    static_dir: Path | None
    mongodb_uri: str | None  # an existing server: no embedded SecantusDB
    aws_endpoint: str | None  # an existing moto server: none started
    env_file: Path | None
    concurrency: int
    ttl_sweep_seconds: float
    sqs_retry_seconds: int
    s3_snapshot_seconds: float  # how often the buckets' new objects are copied to <data dir>/s3
    sender_email: str
    stack_name: str
    classifier: str  # who drains the classify queue: lambda (the function), worker (the batch worker), or both
    worker_env: dict[str, str]  # extra settings for the batch worker (BATCH_SIZE, MODEL_BACKEND, ...)

    @classmethod
    def from_env(cls, env: Mapping[str, str] = os.environ) -> StackConfig:
        static = Path(env.get("LOCAL_WEB_DIR") or ROOT / "web")
        env_file = env.get("LOCAL_ENV_FILE")
        return cls(
            api_port=_port(env, "LOCAL_API_PORT", 3000),
            aws_port=_port(env, "LOCAL_AWS_PORT", 4566),
            mongo_port=_port(env, "LOCAL_MONGO_PORT", 27018),
            data_dir=Path(env.get("LOCAL_DATA_DIR") or ROOT / ".local").resolve(),
            template=Path(env.get("LOCAL_TEMPLATE") or ROOT / "template.yaml").resolve(),
            static_dir=static if static.is_dir() else None,
            mongodb_uri=env.get("MONGODB_URI") or None,
            aws_endpoint=env.get("LOCAL_AWS_ENDPOINT") or None,
            env_file=Path(env_file) if env_file else None,
            concurrency=int(env.get("LOCAL_FUNCTION_CONCURRENCY") or 2),
            ttl_sweep_seconds=float(env.get("LOCAL_TTL_SWEEP_SECONDS") or 60),
            sqs_retry_seconds=int(env.get("LOCAL_SQS_RETRY_SECONDS") or 2),
            s3_snapshot_seconds=float(env.get("LOCAL_S3_SNAPSHOT_SECONDS") or 2),
            sender_email=env.get("LOCAL_SENDER_EMAIL") or "results@imagepredict.test",
            stack_name=env.get("LOCAL_STACK_NAME") or "imagepredict-local",
            classifier=classifier_mode(env.get("LOCAL_CLASSIFIER") or "lambda"),
            worker_env={name: env[name] for name in WORKER_VARIABLES if env.get(name)},
        )


def wait_until(check: Any, what: str, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while True:
        try:
            if check():
                return
        except OSError:
            pass
        if time.monotonic() > deadline:
            raise TimeoutError(f"{what} did not come up within {timeout:.0f} s")
        time.sleep(0.1)


def port_open(port: int) -> bool:
    with socket.socket() as probe:
        probe.settimeout(0.5)
        return probe.connect_ex((HOST, port)) == 0


class Stack:
    def __init__(self, config: StackConfig) -> None:
        self.config = config
        self.template = Template(config.template)
        self.processes: list[subprocess.Popen[bytes]] = []
        self.pool: FunctionPool | None = None
        self.pollers: list[QueuePoller] = []
        self.server: BaseWSGIServer | None = None
        self.snapshots: Snapshots | None = None
        self.mongodb_uri = ""
        self.aws_endpoint = ""
        self.worker_health_url: str | None = None

    @property
    def api_url(self) -> str:
        return f"http://{HOST}:{self.config.api_port}"

    def _check_ports_are_free(self) -> None:
        wanted = {"LOCAL_API_PORT": self.config.api_port}
        if not self.config.mongodb_uri:
            wanted["LOCAL_MONGO_PORT"] = self.config.mongo_port
        if not self.config.aws_endpoint:
            wanted["LOCAL_AWS_PORT"] = self.config.aws_port
        for variable, port in wanted.items():
            if port_open(port):
                raise RuntimeError(f"port {port} is already in use (another stack?): stop it or set {variable}")

    def start(self) -> None:
        self._check_ports_are_free()
        self.config.data_dir.mkdir(parents=True, exist_ok=True)
        try:
            self.mongodb_uri = self.config.mongodb_uri or self._start_mongo()
            self.aws_endpoint = self.config.aws_endpoint or self._start_moto()
            # The MongoDB URI lives in a secret the user creates before deploying; the stack creates it here.
            secret_name = f"{self.config.stack_name}/mongodb-uri"
            mongodb_secret = store_user_secret(self.aws_endpoint, secret_name, self.mongodb_uri)
            provisioner = Provisioner(
                self.template,
                endpoint_url=self.aws_endpoint,
                parameters={
                    "MongoDbUriSecret": mongodb_secret,
                    "Stage": "local",
                    "SenderEmail": self.config.sender_email,
                    "AppUrl": self.api_url,
                },
                state_dir=self.config.data_dir / "aws",
                stack_name=self.config.stack_name,
            )
            provisioner.run(before_notifications=lambda: self._restore_buckets(provisioner))
            functions = {spec.logical_id: self._deploy(spec, provisioner) for spec in self.template.functions()}
            self.pool = FunctionPool(functions, concurrency=self.config.concurrency)
            self._start_gateway(Cors(provisioner.resolver.resolve(self.template.http_cors())))
            self._start_pollers(provisioner)
        except BaseException:
            self.stop()
            raise

    def _restore_buckets(self, provisioner: Provisioner) -> None:
        """Refill a moto we started with the objects saved by the last run, then keep saving new ones."""
        if self.config.aws_endpoint:  # someone else's moto: it keeps its objects itself
            return
        snapshots = Snapshots(
            provisioner.client("s3"),
            provisioner.buckets,
            self.config.data_dir / "s3",
            interval_seconds=self.config.s3_snapshot_seconds,
        )
        snapshots.restore()
        snapshots.start()
        self.snapshots = snapshots

    def _spawn(self, name: str, command: list[str], env: Mapping[str, str] | None = None) -> None:
        logs = self.config.data_dir / "logs"
        logs.mkdir(exist_ok=True)
        with open(logs / f"{name}.log", "ab") as output:
            # A session of its own: Ctrl-C in the terminal reaches only the stack, which stops its servers in order
            # (pollers first, then the worker, MongoDB and moto), instead of killing them under running pollers.
            process = subprocess.Popen(
                command, stdout=output, stderr=subprocess.STDOUT, cwd=ROOT, env=env, start_new_session=True
            )
        self.processes.append(process)

    def _start_mongo(self) -> str:
        port = self.config.mongo_port
        storage = self.config.data_dir / "mongodb"
        storage.mkdir(exist_ok=True)
        command = [sys.executable, "-m", "devstack.mongo", "--port", str(port), "--storage-path", str(storage)]
        self._spawn("mongodb", [*command, "--ttl-sweep-seconds", str(self.config.ttl_sweep_seconds)])
        wait_until(lambda: self._alive() and port_open(port), "SecantusDB")
        return f"mongodb://{HOST}:{port}/?directConnection=true"

    def _start_moto(self) -> str:
        port = self.config.aws_port
        self._spawn("moto", [sys.executable, "-m", "devstack.moto_server", "-H", HOST, "-p", str(port)])
        endpoint = f"http://{HOST}:{port}"
        ready_url = f"{endpoint}/moto-api/"
        wait_until(lambda: self._alive() and urllib.request.urlopen(ready_url, timeout=2), "moto")  # noqa: S310
        return endpoint

    def _alive(self) -> bool:
        for process in self.processes:
            if process.poll() is not None:
                raise RuntimeError(
                    f"{process.args[2]} exited with {process.returncode}; see {self.config.data_dir}/logs"
                )
        return True

    def function_environment(self, spec: FunctionSpec, provisioner: Provisioner) -> dict[str, str]:
        """Template variables (resolved), then the caller's environment and env file for declared names."""
        declared = {name: str(value) for name, value in provisioner.resolver.resolve(spec.environment).items()}
        declared.update({name: value for name, value in LOCAL_DEFAULTS.items() if name in declared})
        overrides = {name: os.environ[name] for name in declared if name in os.environ}
        if self.config.env_file:
            sam_style = json.loads(self.config.env_file.read_text())
            overrides.update(sam_style.get("Parameters", {}))
            overrides.update(sam_style.get(spec.logical_id, {}))
        return {
            **declared,
            **{name: str(value) for name, value in overrides.items()},
            "AWS_ENDPOINT_URL": self.aws_endpoint,
            "AWS_REGION": REGION,
            "AWS_DEFAULT_REGION": REGION,
            "AWS_ACCESS_KEY_ID": "testing",
            "AWS_SECRET_ACCESS_KEY": "testing",
            "POWERTOOLS_TRACE_DISABLED": "true",
        }

    def _deploy(self, spec: FunctionSpec, provisioner: Provisioner) -> DeployedFunction:
        layer_dirs = []
        for layer in spec.layers:
            if isinstance(layer, dict) and "Ref" in layer:
                layer_dirs.append(self.template.layer_dir(layer["Ref"]))
            else:
                log.warning("%s: layer %s is not available locally", spec.logical_id, layer)
        return DeployedFunction(spec, layer_dirs, self.function_environment(spec, provisioner))

    def _start_gateway(self, cors: Cors) -> None:
        assert self.pool is not None
        gateway = Gateway(
            self.template.http_routes(), self.pool, cors, self.config.static_dir, aws_endpoint=self.aws_endpoint
        )
        self.server = make_server(HOST, self.config.api_port, gateway, threaded=True)
        threading.Thread(target=self.server.serve_forever, name="gateway", daemon=True).start()

    def _start_pollers(self, provisioner: Provisioner) -> None:
        assert self.pool is not None
        sqs = provisioner.client("sqs")
        for function, properties in self.template.sqs_event_sources():
            resolved = provisioner.resolver.resolve(properties)
            if function == CLASSIFY_FUNCTION:
                self._start_batch_worker(provisioner, sqs, str(resolved["Queue"]))
                if self.config.classifier in ("worker", "none"):
                    continue
            if not event_source_enabled(resolved):  # e.g. ClassifyConsumers=gpu: deployed, the mapping is off too
                log.info("%s: its SQS event is disabled (Enabled: false); the queue is not polled for it", function)
                continue
            source = EventSource(
                function=function,
                queue_arn=str(resolved["Queue"]),
                batch_size=int(resolved.get("BatchSize", 10)),
                report_batch_item_failures="ReportBatchItemFailures" in resolved.get("FunctionResponseTypes", []),
            )
            poller = QueuePoller(source, self.pool, sqs, retry_seconds=self.config.sqs_retry_seconds)
            poller.start()
            self.pollers.append(poller)

    def _start_batch_worker(self, provisioner: Provisioner, sqs: Any, queue_arn: str) -> None:
        """Write .local/worker.env (for `make worker`) and, when LOCAL_CLASSIFIER asks for it, start a worker."""
        spec = next(spec for spec in self.template.functions() if spec.logical_id == CLASSIFY_FUNCTION)
        queue_url = sqs.get_queue_url(QueueName=queue_arn.rsplit(":", 1)[1])["QueueUrl"]
        settings = worker_settings(
            self.function_environment(spec, provisioner),
            queue_url,
            self.config.sqs_retry_seconds,
            self.config.worker_env,
        )
        write_worker_env_file(self.config.data_dir / "worker.env", settings)
        if self.config.classifier in ("worker", "both"):
            env = worker_process_env(settings, HOST, free_port())
            self._spawn("batchworker", [sys.executable, "-m", "batchworker"], env)
            self.worker_health_url = f"http://{HOST}:{env['HEALTH_PORT']}/health"
            wait_until(lambda: self._alive() and answers_200(self.worker_health_url or ""), "the batch worker", 60)

    def stop(self) -> None:
        for poller in self.pollers:
            poller.stop()
        self.pollers = []
        if self.server is not None:
            self.server.shutdown()
            self.server.server_close()
            self.server = None
        if self.pool is not None:
            self.pool.stop()
            self.pool = None
        if self.snapshots is not None:  # a last copy while moto still runs
            self.snapshots.stop()
            self.snapshots = None
        for process in reversed(self.processes):
            if process.poll() is None:
                process.terminate()
        for process in self.processes:
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        self.processes = []
