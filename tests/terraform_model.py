"""The Terraform module read by two real HCL parsers, as one plain model for the wiring tests.

python-hcl2 (a Lark grammar) and ``@cdktf/hcl2json`` (HashiCorp's own parser compiled
to WebAssembly, pinned in ``tools/hcl2json``) each turn every ``.tf`` file into a dict;
both are normalised to one shape, ``{"resource": {type: {name: body}}, "locals": {...},
"variable": {name: body}, ...}``, where a nested block is a list of bodies and an
expression is its ``${...}`` text. The tests compare the two and then read the model.
"""

from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path
from typing import Any

import hcl2

ROOT = Path(__file__).resolve().parents[1]
MODULE = ROOT / "terraform"
HCL2JSON = ROOT / "tools" / "hcl2json"
LABELLED = {"resource": 2, "data": 2, "variable": 1, "output": 1, "provider": 1}


def tf_files() -> list[Path]:
    return sorted(MODULE.glob("*.tf"))


def _merge_block(model: dict, kind: str, labels: list[str], body: dict) -> None:
    target = model.setdefault(kind, {})
    for label in labels[:-1]:
        target = target.setdefault(label, {})
    if labels[-1] in target:
        raise ValueError(f"{kind} {'.'.join(labels)} is defined twice")
    target[labels[-1]] = body


def _walk_labels(tree: dict, depth: int, labels: list[str]):
    """Yield (labels, body) from nested ``{label: {label: body}}`` dicts."""
    for label, value in tree.items():
        if depth == 1:
            yield [*labels, label], value
        else:
            yield from _walk_labels(value, depth - 1, [*labels, label])


def _from_python_hcl2(parsed: dict, model: dict) -> None:
    for kind, blocks in parsed.items():
        for block in blocks:
            if kind == "locals":
                model.setdefault("locals", {}).update(block)
            elif kind in LABELLED:
                for labels, body in _walk_labels(block, LABELLED[kind], []):
                    _merge_block(model, kind, labels, body)
            else:
                model.setdefault(kind, []).append(block)


def _from_hcl2json(parsed: dict, model: dict) -> None:
    for kind, blocks in parsed.items():
        if kind == "locals":
            for block in blocks:
                model.setdefault("locals", {}).update(block)
        elif kind in LABELLED:
            for labels, bodies in _walk_labels(blocks, LABELLED[kind], []):
                (body,) = bodies
                _merge_block(model, kind, labels, body)
        else:
            model.setdefault(kind, []).extend(blocks)


def parse_python_hcl2(paths: list[Path]) -> dict[str, Any]:
    options = hcl2.SerializationOptions(
        with_comments=False, explicit_blocks=False, strip_string_quotes=True
    )
    model: dict[str, Any] = {}
    for path in paths:
        with path.open() as handle:
            _from_python_hcl2(hcl2.load(handle, serialization_options=options), model)
    return model


def parse_hcl2json(paths: list[Path]) -> dict[str, Any]:
    """Every file through HashiCorp's parser in one node process (a syntax error fails it)."""
    result = subprocess.run(
        ["node", str(HCL2JSON / "parse.mjs"), *map(str, paths)],
        cwd=HCL2JSON,
        capture_output=True,
        text=True,
        check=False,
    )
    if result.returncode != 0:
        raise AssertionError(f"hcl2json refused the module: {result.stderr.strip()}")
    model: dict[str, Any] = {}
    for path in paths:
        _from_hcl2json(json.loads(result.stdout)[str(path)], model)
    return model


def canonical(value: Any) -> Any:
    """One form for what both parsers read alike but write apart: an expression's spacing,
    comments and commas, a bare type (``string`` or ``${string}``), ``dynamic`` blocks."""
    if isinstance(value, dict):
        return {k: _dynamic(v) if k == "dynamic" else canonical(v) for k, v in value.items()}
    if isinstance(value, list):
        return [canonical(v) for v in value]
    if isinstance(value, str) and "${" in value:
        text = re.sub(r"#[^\n]*", "", value)
        text = re.sub(r"[\s,]+", "", text)
        return re.sub(r"^\$\{(\w+)\}$", r"\1", text)
    return value


def _dynamic(value: Any) -> dict[str, list]:
    """``dynamic "name" {...}`` as ``{name: [body]}`` (python-hcl2 gives ``[{name: body}]``)."""
    blocks = value if isinstance(value, list) else [value]
    merged: dict[str, list] = {}
    for block in blocks:
        for name, body in block.items():
            merged.setdefault(name, []).extend(body if isinstance(body, list) else [body])
    return canonical(merged)


def parse_tfvars(path: Path) -> dict[str, Any]:
    options = hcl2.SerializationOptions(with_comments=False, strip_string_quotes=True)
    with path.open() as handle:
        return hcl2.load(handle, serialization_options=options)
