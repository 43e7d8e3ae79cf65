"""The local stack's batch worker settings: LOCAL_CLASSIFIER, and a worker.env that a shell reads back exactly."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from devstack.batch import worker_settings, write_worker_env_file
from devstack.stack import StackConfig


@pytest.mark.parametrize("mode", ["lambda", "worker", "both", "none"])
def test_local_classifier_modes(mode: str) -> None:
    config = StackConfig.from_env({"LOCAL_CLASSIFIER": mode, "BATCH_SIZE": "8", "UNRELATED": "x"})
    assert config.classifier == mode
    assert config.worker_env == {"BATCH_SIZE": "8"}  # only the worker's own variables pass through


def test_the_default_is_the_lambda_function_and_a_typo_is_refused() -> None:
    assert StackConfig.from_env({}).classifier == "lambda"
    with pytest.raises(ValueError, match="LOCAL_CLASSIFIER must be one of lambda, worker, both, none"):
        StackConfig.from_env({"LOCAL_CLASSIFIER": "gpu"})


def test_worker_env_survives_the_shell_that_make_worker_sources_it_with(tmp_path: Path) -> None:
    awkward = "mongodb://u:p@h/?a=1&b='2' $HOME `id` \"q\""
    settings = worker_settings({"MONGODB_URI": awkward, "HEALTH_PORT": "9"}, "http://q/1/queue", 2, {"BATCH_SIZE": "4"})
    path = tmp_path / "worker.env"
    write_worker_env_file(path, settings)
    printf = 'printf "%s\\n%s\\n%s\\n%s" "$MONGODB_URI" "$QUEUE_URL" "$BATCH_SIZE" "$HEALTH_PORT"'
    script = f'set -a; . "{path}"; set +a; {printf}'
    printed = subprocess.run(["bash", "-c", script], capture_output=True, text=True, check=True).stdout
    assert printed.split("\n") == [awkward, "http://q/1/queue", "4", ""]  # the health port stays per process
    assert settings["FAILED_VISIBILITY_SECONDS"] == "2"
