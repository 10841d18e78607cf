"""A folder on local disk as an object store: the default lake, and the one tests start from."""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pyarrow.fs

from chainprice.adapters.storage.base import ObjectInfo, check_name, check_prefix
from chainprice.adapters.storage.errors import ObjectMissingError, StorageError, storage_failure


class LocalStore:
    """Objects as files under ``root``; a write is a temp file renamed into place.

    Unfinished writes live under hidden names (``.<name>.<random>.tmp``) in the
    target folder, which ``list`` never shows and no object name can take, so a
    crash leaves at worst a stray hidden file, never a partial object.
    Compare-and-swap holds an exclusive ``flock`` on ``.<name>.lock`` while it
    compares and renames; the kernel drops the lock if the writer dies.
    """

    def __init__(self, root: str | Path) -> None:
        self.root = Path(root).absolute()
        self.url = self.root.as_uri()
        self.check()

    def check(self) -> None:
        """A missing folder is made on the first write; a path that is not a folder fails."""
        if self.root.exists() and not self.root.is_dir():
            raise StorageError(f"lake folder {self.root} exists and is not a folder")

    def _path(self, name: str) -> Path:
        return self.root / check_name(name)

    def put(self, name: str, data: bytes, *, create_only: bool = False) -> bool:
        return self._write(self._path(name), name, data, create_only)

    def _write(self, path: Path, name: str, data: bytes, create_only: bool) -> bool:
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
        except OSError as exc:
            raise storage_failure("write", name, self.url, exc) from None
        try:
            with os.fdopen(fd, "wb") as f:
                f.write(data)
                f.flush()
                os.fsync(f.fileno())
            if create_only:
                try:
                    os.link(tmp, path)  # fails if the name exists: one racing writer wins
                except FileExistsError:
                    return False
            else:
                os.replace(tmp, path)
            _fsync_dir(path.parent)
            return True
        except OSError as exc:
            raise storage_failure("write", name, self.url, exc) from None
        finally:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(tmp)

    def get(self, name: str) -> bytes:
        try:
            return self._path(name).read_bytes()
        except FileNotFoundError:
            raise ObjectMissingError(f"no object {name} in {self.url}") from None
        except OSError as exc:
            raise storage_failure("read", name, self.url, exc) from None

    def get_versioned(self, name: str) -> tuple[bytes, str] | None:
        try:
            data = self.get(name)
        except ObjectMissingError:
            return None
        return data, _digest(data)

    def put_if(self, name: str, data: bytes, token: str | None) -> bool:
        path = self._path(name)
        with self._locked(path, name):
            try:
                current: str | None = _digest(path.read_bytes())
            except FileNotFoundError:
                current = None
            except OSError as exc:
                raise storage_failure("read", name, self.url, exc) from None
            if current != token:
                return False
            return self._write(path, name, data, create_only=False)

    @contextlib.contextmanager
    def _locked(self, path: Path, name: str) -> Iterator[None]:
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            fd = os.open(path.parent / f".{path.name}.lock", os.O_RDWR | os.O_CREAT, 0o644)
        except OSError as exc:
            raise storage_failure("write", name, self.url, exc) from None
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            yield
        finally:
            os.close(fd)

    def exists(self, name: str) -> bool:
        return self._path(name).is_file()

    def list(self, prefix: str = "") -> list[str]:
        return [path for path, _ in self._walk(prefix)]

    def list_details(self, prefix: str = "") -> list[ObjectInfo]:
        details = []
        for name, path in self._walk(prefix):
            try:
                stat = path.stat()
            except FileNotFoundError:  # deleted since the walk saw it
                continue
            details.append(ObjectInfo(name, stat.st_size, stat.st_mtime))
        return details

    def _walk(self, prefix: str) -> list[tuple[str, Path]]:
        folder = self.root / check_prefix(prefix).rpartition("/")[0]
        found = []
        for dirpath, dirnames, filenames in os.walk(folder):
            dirnames[:] = [d for d in dirnames if not d.startswith(".")]
            rel = Path(dirpath).relative_to(self.root).as_posix()
            for filename in filenames:
                name = filename if rel == "." else f"{rel}/{filename}"
                if not filename.startswith(".") and name.startswith(prefix):
                    found.append((name, Path(dirpath) / filename))
        return sorted(found)

    def delete(self, name: str) -> None:
        try:
            self._path(name).unlink(missing_ok=True)
        except OSError as exc:
            raise storage_failure("delete", name, self.url, exc) from None

    def arrow_filesystem(self) -> tuple[pyarrow.fs.FileSystem, str]:
        return pyarrow.fs.LocalFileSystem(), self.root.as_posix()

    def duckdb_path(self, name: str) -> str:
        return (self.root / check_prefix(name)).as_posix()

    def duckdb_secret(self) -> None:
        return None


def _digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _fsync_dir(folder: Path) -> None:
    """Make a rename durable: the new directory entry survives a power cut."""
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
