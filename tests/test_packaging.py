"""The wheel holds every package, all under `chainprice`; `uv run` does not recompile each call."""

from __future__ import annotations

import subprocess
import tomllib
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text())


def _packages() -> set[str]:
    return {str(p.parent.relative_to(ROOT)) for p in ROOT.glob("chainprice/**/__init__.py")}


def test_the_wheel_holds_every_package(tmp_path) -> None:
    subprocess.run(
        ["uv", "build", "--wheel", "--out-dir", str(tmp_path)],
        cwd=ROOT,
        check=True,
        capture_output=True,
        timeout=300,
    )
    (wheel,) = tmp_path.glob("*.whl")
    names = zipfile.ZipFile(wheel).namelist()
    present = {n.rsplit("/", 1)[0] for n in names if n.endswith("/__init__.py")}
    assert _packages() - present == set()
    assert {n.split("/")[0] for n in names if not n.startswith("chainprice-")} == {"chainprice"}
    assert "chainprice/lake/ingest.py" in names
    assert any(n.endswith("licenses/LICENSE") or n.endswith("/LICENSE") for n in names)


def test_uv_does_not_compile_bytecode_on_every_run() -> None:
    assert PYPROJECT.get("tool", {}).get("uv", {}).get("compile-bytecode") is not True
    ci = (ROOT / ".ci" / "run").read_text()
    assert "UV_COMPILE_BYTECODE=1 uv sync --locked" in ci  # compiled once, at install
    assert "uv run pytest" in ci and "uv run ruff check ." in ci
    assert "uv build --wheel" in ci and 'chainprice" --version' in ci
