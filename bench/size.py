"""What `sam build` produced: each function with its layers, unzipped and zipped, against Lambda's 250 MB."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path
from typing import Any

from devstack.template import Template

LIMIT_MB = 250


def _files(directory: Path) -> list[Path]:
    return [path for path in directory.rglob("*") if path.is_file()]


def unzipped_bytes(directory: Path) -> int:
    return sum(path.stat().st_size for path in _files(directory))


def zipped_bytes(directory: Path) -> int:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for path in _files(directory):
            archive.write(path, path.relative_to(directory))
    return buffer.tell()


def sizes(root: Path, build_dir: Path) -> dict[str, Any]:
    template = Template(root / "template.yaml")
    layers: dict[str, dict[str, int]] = {}
    functions = {}
    for function in template.functions():
        names = [layer["Ref"] for layer in function.layers]
        for name in names:
            if name not in layers:
                layers[name] = {"unzipped": unzipped_bytes(build_dir / name), "zipped": zipped_bytes(build_dir / name)}
        own = build_dir / function.logical_id
        code = {"unzipped": unzipped_bytes(own), "zipped": zipped_bytes(own)}
        functions[function.logical_id] = {
            "code": code,
            "layers": names,
            "unzipped_total": code["unzipped"] + sum(layers[name]["unzipped"] for name in names),
            "zipped_total": code["zipped"] + sum(layers[name]["zipped"] for name in names),
        }
    ml = build_dir / "MlLayer"
    biggest = sorted(_files(ml), key=lambda path: path.stat().st_size, reverse=True)[:12]
    return {
        "functions": functions,
        "layers": layers,
        "ml_biggest": [{"path": str(path.relative_to(ml)), "bytes": path.stat().st_size} for path in biggest],
    }
