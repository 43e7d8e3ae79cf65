# The two commands: `make run` (the local stack) and `make test` (lint, unit and integration tests).
SHELL := /bin/bash
PYTHON ?= python3.11
VENV := .venv
PY := $(VENV)/bin/python
CONVERT_VENV := .venv-convert
CONVERT_PY := $(CONVERT_VENV)/bin/python
TFLITE_VENV := .venv-tflite
SAM_VENV := .venv-sam
SAM := $(SAM_VENV)/bin/sam
# Every function and layer builds with a Makefile (BuildMethod: makefile) that installs the Lambda runtime's wheels
# (CPython 3.12) with pip's platform options, run by the dev venv's Python: no host Python 3.12 is needed.
SAM_ENV := BUILD_PYTHON="$(abspath $(PY))" AWS_DEFAULT_REGION=$${AWS_DEFAULT_REGION:-us-east-1} \
	AWS_EC2_METADATA_DISABLED=true SAM_CLI_TELEMETRY=0

.PHONY: run worker gpu-requirements scaling load-pipeline load test unit integration browser chromium lint format build validate deploy clean convert-deps demo-model \
	bench openapi fuzz
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

# .venv: what the functions and the local stack need (requirements-run.txt), all `make run` installs: no TensorFlow.
$(VENV)/.run-installed: requirements-run.txt layers/core/requirements.txt layers/ml/requirements.txt constraints.txt
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements-run.txt -c constraints.txt
	@touch $@

# The tests' and linters' tools, added to .venv by the targets that need them.
$(VENV)/.installed: $(VENV)/.run-installed requirements-dev.txt
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements-dev.txt -c constraints.txt
	@touch $@

# TensorFlow, tf2onnx and scikit-learn (about 1.3 GB) in a venv of their own, with the dev venv's packages beside them:
# convert_model.py, the demo model's training, the benchmark and the tests marked `tensorflow`.
$(CONVERT_VENV)/.installed: requirements-convert.txt requirements-dev.txt requirements-run.txt \
		layers/core/requirements.txt layers/ml/requirements.txt constraints.txt
	@test -x $(CONVERT_PY) || $(PYTHON) -m venv $(CONVERT_VENV)
	$(CONVERT_PY) -m pip install --quiet --disable-pip-version-check -r requirements-convert.txt -c constraints.txt
	@touch $@

# tflite-runtime (the runner's fallback) needs numpy < 2: its own small venv, used by the fallback's tests.
$(TFLITE_VENV)/.installed: requirements-tflite.txt
	@test -x $(TFLITE_VENV)/bin/python || $(PYTHON) -m venv $(TFLITE_VENV)
	$(TFLITE_VENV)/bin/python -m pip install --quiet --disable-pip-version-check -r requirements-tflite.txt
	@touch $@

$(SAM_VENV)/.installed: requirements-sam.txt
	@test -x $(SAM_VENV)/bin/python || $(PYTHON) -m venv $(SAM_VENV)
	$(SAM_VENV)/bin/python -m pip install --quiet --disable-pip-version-check -r requirements-sam.txt
	@touch $@

run: $(VENV)/.run-installed  ## the whole system on 127.0.0.1 (API on :3000); LOCAL_CLASSIFIER=lambda|worker|both|none
	$(PY) -m devstack

# The batch worker: joins the stack `make run` started (its .local/worker.env), unless QUEUE_URL etc. are set.
worker: $(VENV)/.run-installed  ## one more consumer of the classify queue (ONNX Runtime batches; MODEL_BACKEND=litert)
	@if [ -z "$$QUEUE_URL" ]; then \
		test -f .local/worker.env || { echo "no .local/worker.env: start 'make run' first, or set QUEUE_URL etc."; exit 2; }; \
		set -a; . ./.local/worker.env; set +a; \
	fi; PYTHONPATH=layers/core:. exec $(PY) -m batchworker

# Two pytest runs: every test but those marked `tensorflow` in .venv (which has no TensorFlow, as `make run` installs
# it), then those in .venv-convert. REQUIRE_TENSORFLOW: a marked test fails, not skips, where TensorFlow is missing.
test: lint $(CONVERT_VENV)/.installed $(TFLITE_VENV)/.installed $(SAM_VENV)/.installed chromium  ## lint, then unit, integration and browser tests against real local servers
	REQUIRE_TFLITE_VENV=1 REQUIRE_BROWSER=1 $(PY) -m pytest -m "not tensorflow"
	REQUIRE_TENSORFLOW=1 $(CONVERT_PY) -m pytest -m tensorflow

# Debian's Chromium for the browser tests: Playwright's own browser download is not reachable from here.
chromium:
	@command -v chromium >/dev/null || { $(SUDO) apt-get update -qq && \
		$(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; }

browser: $(VENV)/.installed chromium  ## only the browser tests (screenshots in tests/browser/artifacts/)
	REQUIRE_BROWSER=1 $(PY) -m pytest tests/browser

unit: $(VENV)/.installed
	$(PY) -m pytest tests/unit

integration: $(VENV)/.installed $(CONVERT_VENV)/.installed
	$(PY) -m pytest -m "not tensorflow" tests/integration
	REQUIRE_TENSORFLOW=1 $(CONVERT_PY) -m pytest -m tensorflow tests/integration

lint: $(VENV)/.installed
	$(PY) -m ruff check .
	$(PY) -m ruff format --check .

format: $(VENV)/.installed
	$(PY) -m ruff check --fix .
	$(PY) -m ruff format .

convert-deps: $(CONVERT_VENV)/.installed  ## TensorFlow & co. for convert_model.py (in .venv-convert; never shipped)

demo-model: $(CONVERT_VENV)/.installed  ## retrain the digits demo model, convert it, refresh the sample images
	$(CONVERT_PY) -m training.train_digits

# docs/openapi.json from the functions' own resolvers (tools/openapi.py); a unit test fails while it is stale.
openapi: $(VENV)/.run-installed  ## regenerate docs/openapi.json (OpenAPI 3.1) from the code
	$(PY) -m tools.openapi

# docs/scaling.md: capacity and cost from docs/benchmarks.json and cited prices (after `make bench`).
scaling: $(VENV)/.run-installed  ## rewrite docs/scaling.md from the measured numbers
	$(PY) -m bench.scaling

# 1,000 images through the local stack with the Lambda poller, the worker, then both: docs/benchmarks.md.
load-pipeline: $(VENV)/.run-installed  ## heavy load on the local stack (QUICK=1 for a small run)
	$(PY) -m bench.load $(if $(QUICK),--quick,)

# Locust (bench/locustfile.py) against a fresh local stack on 127.0.0.1: 50 users for 120 s, bcrypt at the template's
# cost (12); requests/s, p50/p95/p99 per route, errors and upload→done in docs/benchmarks.md. Exit 1 on any error.
fuzz: $(VENV)/.installed  ## schemathesis, deeper than make test: 1,000 examples per operation, fresh random seeds
	FUZZ_EXAMPLES=$${FUZZ_EXAMPLES:-1000} $(PY) -m pytest -p no:cacheprovider tests/integration/test_contract_fuzz.py

load: $(VENV)/.installed  ## Locust on the local stack, 50 users (QUICK=1: 10 users for 15 s, as make test runs it)
	$(PY) -m bench.api_load $(if $(QUICK),--quick,)

# The GPU image's pins, resolved for Linux x86-64 / CPython 3.12 wheels (not this machine): gpu/requirements.txt.
gpu-requirements: $(VENV)/.run-installed  ## re-pin gpu/requirements.txt from gpu/requirements.in
	$(PY) -m gpu.lock

# Benchmarks (TensorFlow allowed here, in .venv-convert; never in a function): docs/benchmarks.md + .json.
# QUICK=1 for a smoke run.
bench: $(CONVERT_VENV)/.installed $(TFLITE_VENV)/.installed build  ## measure cold start, latency, pipeline, auth, size
	$(CONVERT_PY) -m bench $(if $(QUICK),--quick,)

validate: $(SAM_VENV)/.installed  ## sam validate --lint (offline)
	$(SAM_ENV) $(SAM) validate --lint

build: $(SAM_VENV)/.installed $(VENV)/.run-installed  ## sam build (no container, no Python 3.12 needed): .aws-sam/build
	$(SAM_ENV) $(SAM) build

deploy: build
	$(SAM_ENV) $(SAM) deploy --guided

clean:
	rm -rf .aws-sam .pytest_cache .ruff_cache
