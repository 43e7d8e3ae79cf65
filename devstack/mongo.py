"""Run SecantusDB (an embedded MongoDB-wire server) until SIGTERM/SIGINT: `python -m devstack.mongo`."""

from __future__ import annotations

import argparse
import signal
import threading

from secantus import SecantusDBServer


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--storage-path", required=True)
    parser.add_argument("--ttl-sweep-seconds", type=float, default=60.0)
    options = parser.parse_args()
    server = SecantusDBServer(
        host=options.host,
        port=options.port,
        storage_path=options.storage_path,
        ttl_sweep_seconds=options.ttl_sweep_seconds,
    )
    stop = threading.Event()
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda *_: stop.set())
    server.start()
    print(f"SecantusDB listening on {options.host}:{options.port}", flush=True)
    stop.wait()
    server.stop()


if __name__ == "__main__":
    main()
