"""Read template.yaml (with CloudFormation's short-form tags) into the facts the local stack needs."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml


class _CfnLoader(yaml.SafeLoader):
    pass


def _construct_tag(loader: yaml.SafeLoader, suffix: str, node: yaml.Node) -> dict[str, Any]:
    if isinstance(node, yaml.ScalarNode):
        value: Any = loader.construct_scalar(node)
    elif isinstance(node, yaml.SequenceNode):
        value = loader.construct_sequence(node, deep=True)
    else:
        value = loader.construct_mapping(node, deep=True)
    if suffix == "Ref":
        return {"Ref": value}
    if suffix == "GetAtt" and isinstance(value, str):
        value = value.split(".", 1)
    return {f"Fn::{suffix}": value}


_CfnLoader.add_multi_constructor("!", _construct_tag)


def load_yaml(path: Path) -> dict[str, Any]:
    return yaml.load(path.read_text(encoding="utf-8"), Loader=_CfnLoader)  # noqa: S506 - SafeLoader subclass


@dataclass(frozen=True)
class Route:
    method: str  # upper-case, or ANY
    path: str  # as written in the template, e.g. /predictions/{id}
    function: str  # logical id
    pattern: re.Pattern[str] = field(compare=False)

    @classmethod
    def of(cls, method: str, path: str, function: str) -> Route:
        return cls(method=method, path=path, function=function, pattern=path_pattern(path))

    @property
    def route_key(self) -> str:
        return f"{self.method} {self.path}"

    def specificity(self) -> tuple[bool, int, bool]:
        """API Gateway prefers literal paths, then fewer parameters; greedy paths and ANY come last."""
        return ("+}" in self.path, self.path.count("{"), self.method == "ANY")


@dataclass(frozen=True)
class FunctionSpec:
    logical_id: str
    code_dir: Path
    handler: str
    timeout: int
    memory: int
    environment: dict[str, Any]
    layers: list[Any]


def path_pattern(path: str) -> re.Pattern[str]:
    """/predictions/{id} and /files/{proxy+} as a regex with named groups (greedy for `+`)."""
    parts = []
    for piece in re.split(r"(\{[^}]+\})", path):
        if piece.startswith("{") and piece.endswith("}"):
            name = piece[1:-1]
            if name.endswith("+"):
                parts.append(f"(?P<{name[:-1]}>.+)")
            else:
                parts.append(f"(?P<{name}>[^/]+)")
        else:
            parts.append(re.escape(piece))
    return re.compile("^" + "".join(parts) + "$")


class Template:
    def __init__(self, path: Path) -> None:
        self.path = path
        self.root = path.parent
        self.document = load_yaml(path)
        self.parameters: dict[str, dict[str, Any]] = self.document.get("Parameters", {})
        self.conditions: dict[str, Any] = self.document.get("Conditions", {})
        self.resources: dict[str, dict[str, Any]] = self.document.get("Resources", {})
        self._function_globals: dict[str, Any] = self.document.get("Globals", {}).get("Function", {})

    def resources_of_type(self, *types: str) -> dict[str, dict[str, Any]]:
        return {name: spec for name, spec in self.resources.items() if spec.get("Type") in types}

    def function(self, logical_id: str) -> FunctionSpec:
        own = self.resources[logical_id].get("Properties", {})
        properties = {**self._function_globals, **own}
        variables = {
            **self._function_globals.get("Environment", {}).get("Variables", {}),
            **own.get("Environment", {}).get("Variables", {}),
        }
        return FunctionSpec(
            logical_id=logical_id,
            code_dir=(self.root / properties["CodeUri"]).resolve(),
            handler=properties["Handler"],
            timeout=int(properties.get("Timeout", 3)),
            memory=int(properties.get("MemorySize", 128)),
            environment=variables,
            # SAM appends a function's own Layers to the global ones (lists in Globals are additive).
            layers=[*self._function_globals.get("Layers", []), *own.get("Layers", [])],
        )

    def functions(self) -> list[FunctionSpec]:
        return [self.function(name) for name in self.resources_of_type("AWS::Serverless::Function")]

    def layer_dir(self, logical_id: str) -> Path:
        return (self.root / self.resources[logical_id]["Properties"]["ContentUri"]).resolve()

    def http_routes(self) -> list[Route]:
        routes = []
        for name, spec in self.resources_of_type("AWS::Serverless::Function").items():
            for event in spec.get("Properties", {}).get("Events", {}).values():
                if event.get("Type") != "HttpApi":
                    continue
                properties = event.get("Properties", {})
                method = str(properties.get("Method", "ANY")).upper()
                if method == "X-AMAZON-APIGATEWAY-ANY-METHOD":
                    method = "ANY"
                routes.append(Route.of(method, properties.get("Path", "$default"), name))
        return routes

    def sqs_event_sources(self) -> list[tuple[str, dict[str, Any]]]:
        """(function logical id, the SQS event's Properties) for every SQS event in the template."""
        sources = []
        for name, spec in self.resources_of_type("AWS::Serverless::Function").items():
            for event in spec.get("Properties", {}).get("Events", {}).values():
                if event.get("Type") == "SQS":
                    sources.append((name, event.get("Properties", {})))
        return sources

    def http_cors(self) -> dict[str, Any] | None:
        for spec in self.resources_of_type("AWS::Serverless::HttpApi").values():
            cors = spec.get("Properties", {}).get("CorsConfiguration")
            if cors:
                return cors
        return None
