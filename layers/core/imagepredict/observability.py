"""Powertools logger, tracer and metrics shared by every function (configured through POWERTOOLS_* variables)."""

from __future__ import annotations

from aws_lambda_powertools import Logger, Metrics, Tracer

logger = Logger()
tracer = Tracer()
metrics = Metrics()
