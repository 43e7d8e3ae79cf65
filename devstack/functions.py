"""Warm worker processes per function, started on demand like Lambda containers and reused between calls."""

from __future__ import annotations

import logging
import os
import socket
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from devstack import worker as protocol
from devstack.template import FunctionSpec

log = logging.getLogger("devstack.functions")

WORKER_SCRIPT = Path(protocol.__file__).resolve()
INIT_TIMEOUT_SECONDS = 30  # generous: a cold start on a loaded 2-core machine imports a lot
_PASSED_THROUGH = ("PATH", "HOME", "LANG", "LC_ALL", "TMPDIR", "TZ", "SYSTEMROOT")


class InvocationError(RuntimeError):
    """The function failed (init error, handler exception, timeout or crash): API Gateway answers 500."""

    def __init__(self, kind: str, message: str) -> None:
        super().__init__(f"{kind}: {message}")


@dataclass(frozen=True)
class DeployedFunction:
    spec: FunctionSpec
    layer_dirs: list[Path]
    environment: dict[str, str]


class _Worker:
    def __init__(self, function: DeployedFunction) -> None:
        self.function = function
        parent, child = socket.socketpair()
        self.channel = parent
        spec = function.spec
        env = {key: os.environ[key] for key in _PASSED_THROUGH if key in os.environ}
        env.update(function.environment)
        env.update(
            {
                "AWS_LAMBDA_FUNCTION_NAME": spec.logical_id,
                "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": str(spec.memory),
                "AWS_LAMBDA_FUNCTION_VERSION": "$LATEST",
                "AWS_LAMBDA_LOG_STREAM_NAME": uuid.uuid4().hex,
                "_HANDLER": spec.handler,
                "LAMBDA_TASK_ROOT": str(spec.code_dir),
                "PYTHONUNBUFFERED": "1",
                "PYTHONDONTWRITEBYTECODE": "1",
            }
        )
        command = [sys.executable, str(WORKER_SCRIPT), str(child.fileno()), str(spec.code_dir)]
        command += [spec.handler, *map(str, function.layer_dirs)]
        self.process = subprocess.Popen(command, env=env, pass_fds=[child.fileno()], cwd=spec.code_dir)
        child.close()
        self.channel.settimeout(INIT_TIMEOUT_SECONDS)
        ready = self._receive()
        if not ready.get("ready"):
            self.stop()
            raise InvocationError("Runtime.InitError", f"{ready.get('errorType')}: {ready.get('errorMessage')}")
        log.info("%s cold start: init %.0f ms", spec.logical_id, ready["init_ms"])

    def _receive(self) -> dict[str, Any]:
        try:
            message = protocol.receive(self.channel)
        except TimeoutError:
            message = None
        if message is None:
            self.stop()
            raise InvocationError("Sandbox.Timedout", "the function timed out or its process exited")
        return message

    def invoke(self, event: Mapping[str, Any]) -> Any:
        timeout = self.function.spec.timeout
        request_id = str(uuid.uuid4())
        deadline_ms = int((time.time() + timeout) * 1000)
        protocol.send(self.channel, {"event": event, "request_id": request_id, "deadline_ms": deadline_ms})
        self.channel.settimeout(timeout + 1)
        reply = self._receive()
        if not reply["ok"]:
            raise InvocationError(reply["errorType"], reply["errorMessage"])
        return reply["result"]

    def alive(self) -> bool:
        return self.process.poll() is None

    def stop(self) -> None:
        self.channel.close()
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


class FunctionPool:
    """Per function, idle workers are reused; a busy function starts another, up to `concurrency`."""

    def __init__(self, functions: Mapping[str, DeployedFunction], concurrency: int = 2) -> None:
        self.functions = dict(functions)
        self._idle: dict[str, list[_Worker]] = {name: [] for name in functions}
        self._slots = {name: threading.BoundedSemaphore(concurrency) for name in functions}
        self._lock = threading.Lock()
        self._all: list[_Worker] = []

    def invoke(self, name: str, event: Mapping[str, Any]) -> Any:
        with self._slots[name]:
            worker = self._take(name)
            try:
                return worker.invoke(event)
            finally:
                self._release(name, worker)

    def _take(self, name: str) -> _Worker:
        with self._lock:
            while self._idle[name]:
                worker = self._idle[name].pop()
                if worker.alive():
                    return worker
                self._all.remove(worker)
        worker = _Worker(self.functions[name])
        with self._lock:
            self._all.append(worker)
        return worker

    def _release(self, name: str, worker: _Worker) -> None:
        """A live worker waits for the next call; one that timed out or crashed is gone for good."""
        with self._lock:
            if worker.alive():
                self._idle[name].append(worker)
            elif worker in self._all:
                self._all.remove(worker)

    def stop(self) -> None:
        with self._lock:
            workers, self._all = self._all, []
            self._idle = {name: [] for name in self.functions}
        for worker in workers:
            worker.stop()
