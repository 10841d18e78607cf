"""The local folder store: writes are whole or absent, even when they fail or the process dies."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from chainprice.adapters.storage import StorageError, open_store
from chainprice.adapters.storage.local import LocalStore

NAME = "outputs/date=2024-06-01/000845390-00000000000000ab.parquet"
ROOT = Path(__file__).resolve().parents[1]


def every_file(root: Path) -> list[str]:
    """All files under ``root``, hidden ones included (what the store's list() hides)."""
    return sorted(p.relative_to(root).as_posix() for p in root.rglob("*") if p.is_file())


def test_failure_before_rename_keeps_the_old_object(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = LocalStore(tmp_path)
    store.put(NAME, b"old")

    def disk_gone(src: str, dst: str) -> None:
        raise OSError(5, "Input/output error")

    monkeypatch.setattr(os, "replace", disk_gone)
    with pytest.raises(StorageError, match=f"cannot write {NAME} to file://"):
        store.put(NAME, b"new" * 100_000)
    monkeypatch.undo()
    assert store.get(NAME) == b"old"
    assert every_file(tmp_path) == [NAME]


def test_failure_mid_write_leaves_nothing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The data is half on disk (written, not yet synced) when the write fails."""
    store = LocalStore(tmp_path)
    seen_partial: list[list[str]] = []

    def fail_sync(fd: int) -> None:
        seen_partial.append(every_file(tmp_path))
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "fsync", fail_sync)
    for create_only in (False, True):
        with pytest.raises(StorageError, match="No space left"):
            store.put(NAME, b"x" * 1_000_000, create_only=create_only)
    monkeypatch.undo()
    assert all(len(files) == 1 and files[0] != NAME for files in seen_partial)  # the temp file
    assert every_file(tmp_path) == []
    assert not store.exists(NAME)


def test_losing_a_create_only_race_leaves_no_temp_file(tmp_path: Path) -> None:
    store = LocalStore(tmp_path)
    assert store.put(NAME, b"a", create_only=True)
    assert not store.put(NAME, b"b", create_only=True)
    assert every_file(tmp_path) == [NAME]


CRASHING_WRITER = textwrap.dedent(
    """
    import os, sys, time
    from chainprice.adapters.storage import open_store

    def stall(fd):
        print("written, not committed", flush=True)
        time.sleep(60)

    os.fsync = stall
    open_store(sys.argv[1]).put(sys.argv[2], b"half" * 1_000_000)
    """
)


def test_a_killed_writer_leaves_no_object(tmp_path: Path) -> None:
    store = open_store(str(tmp_path))
    store.put("other/kept.parquet", b"kept")
    writer = subprocess.Popen(
        [sys.executable, "-c", CRASHING_WRITER, str(tmp_path), NAME],
        stdout=subprocess.PIPE,
        text=True,
        cwd=ROOT,
    )
    try:
        assert writer.stdout is not None
        assert writer.stdout.readline().strip() == "written, not committed"
        assert not store.exists(NAME)
        assert store.list() == ["other/kept.parquet"]
    finally:
        writer.send_signal(signal.SIGKILL)
        writer.wait()
    leftovers = [f for f in every_file(tmp_path) if f.startswith("outputs/")]
    assert len(leftovers) == 1
    assert Path(leftovers[0]).name.startswith(".")  # hidden temp file, never the object
    assert store.list() == ["other/kept.parquet"]
    assert store.put(NAME, b"retried", create_only=True)
    assert store.get(NAME) == b"retried"


def test_url_and_arrow_path(tmp_path: Path) -> None:
    store = open_store(str(tmp_path / "lake"))
    assert store.url == (tmp_path / "lake").as_uri()
    fs, base = store.arrow_filesystem()
    assert base == (tmp_path / "lake").as_posix()
    store.put(NAME, b"x")
    assert fs.get_file_info(f"{base}/{NAME}").size == 1
    assert store.duckdb_path("outputs/*/*.parquet") == f"{base}/outputs/*/*.parquet"
    assert store.duckdb_secret() is None


def test_a_lake_folder_is_created_on_first_write(tmp_path: Path) -> None:
    store = open_store((tmp_path / "a" / "b").as_uri())
    assert store.list() == []
    assert not (tmp_path / "a").exists()
    store.put("x/y", b"1")
    assert (tmp_path / "a" / "b" / "x" / "y").read_bytes() == b"1"


def test_a_file_is_not_a_lake_folder(tmp_path: Path) -> None:
    (tmp_path / "file").write_text("x")
    with pytest.raises(StorageError, match="is not a folder"):
        open_store(str(tmp_path / "file"))
