"""One warm "container": imports a function's handler in its own process and answers invocations.

Run as a script (not as part of the devstack package) so the function sees only what Lambda would give it:
its code directory first, then its layers, then the interpreter's site-packages. Stdlib only.
Protocol over an inherited socket: 4-byte big-endian length, then a JSON document, each way.
"""

from __future__ import annotations

import importlib.util
import io
import json
import os
import signal
import socket
import struct
import sys
import time
import traceback
from pathlib import Path
from typing import Any, TextIO


def send(channel: socket.socket, message: dict[str, Any]) -> None:
    payload = json.dumps(message, default=str).encode("utf-8")
    channel.sendall(struct.pack(">I", len(payload)) + payload)


def receive(channel: socket.socket) -> dict[str, Any] | None:
    header = _read_exactly(channel, 4)
    if header is None:
        return None
    payload = _read_exactly(channel, struct.unpack(">I", header)[0])
    return None if payload is None else json.loads(payload)


def _read_exactly(channel: socket.socket, size: int) -> bytes | None:
    chunks = bytearray()
    while len(chunks) < size:
        chunk = channel.recv(size - len(chunks))
        if not chunk:
            return None
        chunks += chunk
    return bytes(chunks)


class LambdaContext:
    """The attributes and method of the context object the Python runtime passes to handlers."""

    def __init__(self, request_id: str, deadline_ms: int) -> None:
        name = os.environ["AWS_LAMBDA_FUNCTION_NAME"]
        region = os.environ.get("AWS_REGION", "us-east-1")
        self.function_name = name
        self.function_version = os.environ.get("AWS_LAMBDA_FUNCTION_VERSION", "$LATEST")
        self.invoked_function_arn = f"arn:aws:lambda:{region}:123456789012:function:{name}"
        self.memory_limit_in_mb = int(os.environ.get("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "128"))
        self.aws_request_id = request_id
        self.log_group_name = f"/aws/lambda/{name}"
        self.log_stream_name = os.environ.get("AWS_LAMBDA_LOG_STREAM_NAME", "local")
        self.identity = None
        self.client_context = None
        self._deadline_ms = deadline_ms

    def get_remaining_time_in_millis(self) -> int:
        return max(0, self._deadline_ms - int(time.time() * 1000))


def load_handler(code_dir: str, layer_dirs: list[str], handler: str) -> Any:
    module_path, _, function_name = handler.rpartition(".")
    sys.path[:] = [code_dir, *layer_dirs, *(p for p in sys.path[1:] if "site-packages" in p or "lib/python" in p)]
    source = Path(code_dir, *module_path.split(".")).with_suffix(".py")
    spec = importlib.util.spec_from_file_location(module_path, source)
    if spec is None or spec.loader is None:
        raise ImportError(f"Unable to import module '{module_path}' from {code_dir}")
    module = importlib.util.module_from_spec(spec)
    sys.modules[module_path] = module
    spec.loader.exec_module(module)
    return getattr(module, function_name)


def error_payload(error: BaseException) -> dict[str, Any]:
    return {
        "errorType": type(error).__name__,
        "errorMessage": str(error),
        "stackTrace": traceback.format_exception(error),
    }


def whole_lines(stream: TextIO) -> TextIO:
    """The stream written a whole line at a time. Every container and the stack append to one log file: unbuffered
    (PYTHONUNBUFFERED), print() writes a line and its newline separately, and another process's line could land in
    between, splitting a metrics line (EMF) that the tests and tools read back."""
    return io.TextIOWrapper(
        open(stream.fileno(), "wb", buffering=1 << 16, closefd=False),
        encoding=stream.encoding,
        errors=stream.errors,
        line_buffering=True,
    )


def main() -> None:
    # Ctrl-C in the terminal reaches the whole process group: the stack stops its workers itself (SIGTERM),
    # and a worker whose stack died sees its socket close and exits.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    sys.stdout = whole_lines(sys.stdout)
    fd, code_dir, handler_name, *layer_dirs = sys.argv[1:]
    channel = socket.socket(fileno=int(fd))
    started = time.perf_counter()
    try:
        handler = load_handler(code_dir, layer_dirs, handler_name)
    except BaseException as error:  # an init failure is reported to the caller, as Lambda does
        traceback.print_exc()
        send(channel, {"ready": False, **error_payload(error)})
        return
    send(channel, {"ready": True, "init_ms": round((time.perf_counter() - started) * 1000, 1)})
    while (request := receive(channel)) is not None:
        context = LambdaContext(request["request_id"], request["deadline_ms"])
        try:
            result = handler(request["event"], context)
            json.dumps(result)
            send(channel, {"ok": True, "result": result})
        except Exception as error:  # the runtime turns handler errors into an error response
            sys.stderr.write(f"[ERROR] {type(error).__name__}: {error}\n{traceback.format_exc()}")
            send(channel, {"ok": False, **error_payload(error)})
        sys.stdout.flush()
        sys.stderr.flush()


if __name__ == "__main__":
    main()
