"""Liveness for an orchestrator: GET /health answers 200 while the loop makes progress, 503 once it has not for
HEALTH_STALE_SECONDS (a hung inference or a dead queue connection), so ECS replaces the task.

An HTTP endpoint rather than a heartbeat file: it is what ECS, Docker's HEALTHCHECK and a person with curl can all
ask (`python -m batchworker.probe` does it without curl in a slim image), and its answer says why.
"""

from __future__ import annotations

import json
import os
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@dataclass
class Liveness:
    stale_after: float
    backend: str = ""
    started: float = field(default_factory=time.monotonic)
    last_progress: float = field(default_factory=time.monotonic)
    batches: int = 0
    images: int = 0
    stopping: bool = False
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def progressed(self, *, images: int = 0, batch: bool = False) -> None:
        with self._lock:
            self.last_progress = time.monotonic()
            self.images += images
            self.batches += int(batch)

    def report(self) -> tuple[bool, dict[str, Any]]:
        with self._lock:
            age = time.monotonic() - self.last_progress
            healthy = age <= self.stale_after
            return healthy, {
                "status": "ok" if healthy else "stalled",
                "seconds_since_progress": round(age, 1),
                "stale_after_seconds": self.stale_after,
                "batches": self.batches,
                "images": self.images,
                "backend": self.backend,
                "stopping": self.stopping,
                "uptime_seconds": round(time.monotonic() - self.started, 1),
                "pid": os.getpid(),
            }


class HealthServer:
    def __init__(self, liveness: Liveness, host: str, port: int) -> None:
        handler = _handler(liveness)
        self._server = ThreadingHTTPServer((host, port), handler)
        self.port = self._server.server_address[1]
        self._thread = threading.Thread(target=self._server.serve_forever, name="health", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()


def _handler(liveness: Liveness) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            if self.path.split("?", 1)[0] != "/health":
                self._send(404, {"message": "Not Found"})
                return
            healthy, body = liveness.report()
            self._send(200 if healthy else 503, body)

        def _send(self, status: int, body: dict[str, Any]) -> None:
            data = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, format: str, *args: Any) -> None:
            return

    return Handler
