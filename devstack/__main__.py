"""`python -m devstack` (what `make run` runs): start the local stack, print its URLs, stop on Ctrl-C."""

from __future__ import annotations

import logging
import signal
import sys
import threading

from devstack.stack import Stack, StackConfig


def classifier_line(stack: Stack) -> str:
    """Who drains the classify queue (LOCAL_CLASSIFIER), and where the batch worker says it is alive."""
    mode = stack.config.classifier
    worker = f"batch worker (health: {stack.worker_health_url})"
    return {
        "lambda": "the Lambda function (LOCAL_CLASSIFIER=worker|both for the batch worker; `make worker` adds one)",
        "worker": worker,
        "both": f"the Lambda function and the {worker}",
        "none": "nothing yet: run `make worker` (it reads .local/worker.env)",
    }[mode]


def main() -> int:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s", datefmt="%H:%M:%S")
    logging.getLogger("werkzeug").setLevel(logging.WARNING)  # the gateway logs each request itself
    try:
        stack = Stack(StackConfig.from_env())
    except ValueError as error:  # a bad LOCAL_* setting
        logging.getLogger("devstack").error("could not start: %s", error)
        return 2
    stop = threading.Event()
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, lambda *_: stop.set())
    try:
        stack.start()
    except Exception as error:
        logging.getLogger("devstack").error("could not start: %s", error)
        return 1
    routes = "\n".join(f"    {route.route_key}" for route in stack.template.http_routes())
    print(
        f"\nimagepredict is running\n"
        f"  Web client {stack.api_url}/\n"
        f"  Mail       {stack.api_url}/_local/mail   (what SES sent)\n"
        f"  API        {stack.api_url}   (try: curl {stack.api_url}/health)\n"
        f"{routes}\n"
        f"  Classify   {classifier_line(stack)}\n"
        f"  MongoDB    {stack.mongodb_uri}\n"
        f"  AWS (moto) {stack.aws_endpoint}\n"
        f"  Data       {stack.config.data_dir}\n"
        f"Press Ctrl-C to stop.\n",
        flush=True,
    )
    stop.wait()
    print("Stopping…", flush=True)
    stack.stop()
    print("Stopped.", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
