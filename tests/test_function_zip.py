"""The functions' source zip keeps every file's fixed time through a real ``unzip``, in any
time zone: numba accepts the shipped kernels only if the source files' times match."""

from __future__ import annotations

import os
import subprocess
import zipfile
from pathlib import Path

import pytest

from chainprice.deploy.function_source import FIXED_TIME, write_zip


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    root = tmp_path / "function"
    (root / "chainprice" / "core" / "__pycache__").mkdir(parents=True)
    (root / "main.py").write_text("print('hi')\n")
    (root / "chainprice" / "core" / "kernels.py").write_text("x = 1\n")
    (root / "chainprice" / "core" / "__pycache__" / "kernels.f-1.nbi").write_bytes(b"\x00" * 9)
    for path in root.rglob("*"):
        os.utime(path, (FIXED_TIME, FIXED_TIME))
    return root


@pytest.mark.parametrize("zone", ["UTC", "America/New_York", "Asia/Kolkata"])
def test_unzip_restores_the_fixed_times_in_any_time_zone(folder, tmp_path, zone) -> None:
    target = write_zip(folder, tmp_path / "function.zip")
    out = tmp_path / f"unpacked-{zone.replace('/', '-')}"
    subprocess.run(
        ["unzip", "-q", str(target), "-d", str(out)], check=True, env={**os.environ, "TZ": zone}
    )
    files = sorted(p.relative_to(out) for p in out.rglob("*") if p.is_file())
    assert files == sorted(p.relative_to(folder) for p in folder.rglob("*") if p.is_file())
    for name in files:
        assert (out / name).stat().st_mtime == FIXED_TIME, name
        assert (out / name).read_bytes() == (folder / name).read_bytes()


def test_the_same_folder_gives_the_same_zip(folder, tmp_path) -> None:
    first = write_zip(folder, tmp_path / "a.zip").read_bytes()
    (folder / "main.py").touch()  # a time changed on disk is not in the zip: it is fixed
    assert write_zip(folder, tmp_path / "b.zip").read_bytes() == first
    (folder / "main.py").write_text("print('changed')\n")
    assert write_zip(folder, tmp_path / "c.zip").read_bytes() != first
    with zipfile.ZipFile(tmp_path / "c.zip") as archive:
        assert [i.filename for i in archive.infolist()] == sorted(archive.namelist())
