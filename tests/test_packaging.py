"""The wheel holds every package, all under `chainprice`, and installs next to a user's own
packages named `core`, `cli`, `adapters`... without either shadowing the other; `uv run` does not
recompile each call."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import sysconfig
import tomllib
import zipfile
from pathlib import Path

import pytest
from conftest import GOLDEN, expected

ROOT = Path(__file__).resolve().parent.parent
PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text())


def _packages() -> set[str]:
    return {str(p.parent.relative_to(ROOT)) for p in ROOT.glob("chainprice/**/__init__.py")}


USER_PACKAGES = ("core", "cli", "adapters", "lake", "jobs")
"""Generic names the project's internals once claimed at the top level; a user may own them."""


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("dist")
    subprocess.run(
        ["uv", "build", "--wheel", "--out-dir", str(out)],
        cwd=ROOT,
        check=True,
        capture_output=True,
        timeout=300,
    )
    (built,) = out.glob("*.whl")
    return built


def test_the_wheel_holds_every_package(wheel) -> None:
    names = zipfile.ZipFile(wheel).namelist()
    present = {n.rsplit("/", 1)[0] for n in names if n.endswith("/__init__.py")}
    assert _packages() - present == set()
    assert {n.split("/")[0] for n in names if not n.startswith("chainprice-")} == {"chainprice"}
    assert "chainprice/lake/ingest.py" in names
    assert "chainprice/py.typed" in names  # type checkers read the public API's hints
    assert any(n.endswith("licenses/LICENSE") or n.endswith("/LICENSE") for n in names)


PROBE = """
import json, sys
import adapters, chainprice, cli, core, jobs, lake
from chainprice.cli.main import main
from chainprice.core.engine import price_day
mine = {name: sys.modules[name].WHO for name in ("core", "cli", "adapters", "lake", "jobs")}
price = chainprice.price_day(sys.argv[1], blocks=sys.argv[2])
print(json.dumps({"user": mine, "chainprice": chainprice.__file__, "price": price.to_json()}))
"""


def test_the_wheel_installs_next_to_a_user_package_named_core(wheel, tmp_path) -> None:
    """A fresh environment holding the wheel and the user's own ``core``, ``cli``... packages:
    both import, each its own code, and the wheel's API prices a golden day exactly."""
    venv = tmp_path / "venv"
    subprocess.run(["uv", "venv", "-q", "--python", sys.executable, str(venv)], check=True)
    python = venv / "bin" / "python"
    install = ["uv", "pip", "install", "-q", "--python", str(python), "--no-deps", str(wheel)]
    subprocess.run(install, check=True, timeout=300)
    site = Path(
        subprocess.check_output(
            [python, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"], text=True
        ).strip()
    )
    for name in USER_PACKAGES:  # installed beside the wheel, as a user's own distribution would be
        (site / name).mkdir()
        (site / name / "__init__.py").write_text(f"WHO = 'the user\\'s {name}'\n")
    # the dependencies from this checkout's environment, after the venv's own packages (its
    # editable link to this checkout is not processed from there: only the wheel is importable)
    (site / "zz_dependencies.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    name, chain = next(iter(expected()["chains"].items()))
    want = chain["results"][0]
    env = {**os.environ, "NUMBA_CACHE_DIR": str(tmp_path / "numba")}
    done = subprocess.run(
        [python, "-c", PROBE, want["date"], str(GOLDEN / name)],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert done.returncode == 0, done.stderr
    got = json.loads(done.stdout)
    assert got["user"] == {n: f"the user's {n}" for n in USER_PACKAGES}
    assert Path(got["chainprice"]).is_relative_to(site)
    assert got["price"]["price"] == want["price_exact"]
    assert got["price"]["rough_price"] == want["rough"]
    version = subprocess.run(
        [venv / "bin" / "chainprice", "--version"], capture_output=True, text=True, env=env
    )
    assert version.stdout.strip() == f"chainprice {PYPROJECT['project']['version']}"


def test_uv_does_not_compile_bytecode_on_every_run() -> None:
    assert PYPROJECT.get("tool", {}).get("uv", {}).get("compile-bytecode") is not True
    ci = (ROOT / ".ci" / "run").read_text()
    assert "UV_COMPILE_BYTECODE=1 uv sync --locked" in ci  # compiled once, at install
    assert "uv run pytest" in ci and "uv run ruff check ." in ci
    assert "uv build --wheel" in ci and 'chainprice" --version' in ci
