# The two commands: `make run` (the local stack) and `make test` (lint, unit and integration tests).
SHELL := /bin/bash
PYTHON ?= python3.11
VENV := .venv
PY := $(VENV)/bin/python
SAM_VENV := .venv-sam
SAM := $(SAM_VENV)/bin/sam
# `sam build` without a container needs the Lambda runtime's Python on PATH.
PY312_DIR := $(firstword $(wildcard /root/.pyenv/versions/3.12*/bin) $(dir $(shell command -v python3.12 2>/dev/null)))
SAM_ENV := PATH="$(PY312_DIR):$$PATH" AWS_DEFAULT_REGION=$${AWS_DEFAULT_REGION:-us-east-1} \
	AWS_EC2_METADATA_DISABLED=true SAM_CLI_TELEMETRY=0

.PHONY: run test unit integration lint format build validate deploy clean

$(VENV)/.installed: requirements-dev.txt layers/core/requirements.txt constraints.txt
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements-dev.txt -c constraints.txt
	@touch $@

$(SAM_VENV)/.installed: requirements-sam.txt
	@test -x $(SAM_VENV)/bin/python || $(PYTHON) -m venv $(SAM_VENV)
	$(SAM_VENV)/bin/python -m pip install --quiet --disable-pip-version-check -r requirements-sam.txt
	@touch $@

run: $(VENV)/.installed  ## the whole system on 127.0.0.1 (API on :3000)
	$(PY) -m devstack

test: lint  ## lint, then unit and integration tests against real local servers
	$(PY) -m pytest

unit: $(VENV)/.installed
	$(PY) -m pytest tests/unit

integration: $(VENV)/.installed
	$(PY) -m pytest tests/integration

lint: $(VENV)/.installed
	$(PY) -m ruff check .
	$(PY) -m ruff format --check .

format: $(VENV)/.installed
	$(PY) -m ruff check --fix .
	$(PY) -m ruff format .

validate: $(SAM_VENV)/.installed  ## sam validate --lint (offline)
	$(SAM_ENV) $(SAM) validate --lint

build: $(SAM_VENV)/.installed  ## sam build (no container): .aws-sam/build
	$(SAM_ENV) $(SAM) build

deploy: build
	$(SAM_ENV) $(SAM) deploy --guided

clean:
	rm -rf .aws-sam .pytest_cache .ruff_cache
