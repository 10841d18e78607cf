"""The one interface every object store offers, and the object names all of them accept.

Writers and readers of the lake depend on this interface only, so the same
ingestion runs on a local folder, GCS or any S3-compatible store.
"""

from __future__ import annotations

import mimetypes
import re
from dataclasses import dataclass
from typing import Protocol

import pyarrow.fs

from chainprice.adapters.storage.errors import StorageError

_BAD_COMPONENT = re.compile(r"^$|^\.|[\\\x00-\x1f]")
_MIME_TYPES = mimetypes.MimeTypes(filenames=())  # Python's own table: the same on every machine


@dataclass(frozen=True)
class ObjectInfo:
    """One listed object: its age (for a sweep judging a leftover) and size (for a check)."""

    name: str
    size: int
    updated: float
    """When the object was last written, unix seconds."""


class ObjectStore(Protocol):
    """Objects named by relative, ``/``-separated names under one root (folder or bucket prefix)."""

    url: str
    """Where the root is: ``file:///abs/dir``, ``gs://bucket/prefix`` or ``s3://bucket/prefix``."""

    def put(self, name: str, data: bytes, *, create_only: bool = False) -> bool:
        """Store ``data`` whole or not at all; readers see the old object or the new one.

        With ``create_only`` nothing is written when ``name`` already exists
        (whatever its content) and the result is False; two writers racing on
        one name cannot both get True. A cloud create whose reply was lost and
        was retried can report False for its own object: compare the content
        when that matters.
        """
        ...

    def get(self, name: str) -> bytes:
        """The object's bytes; ``ObjectMissingError`` if there is none."""
        ...

    def get_versioned(self, name: str) -> tuple[bytes, str] | None:
        """The object's bytes and a token naming this version of it (None if there is none).

        The token is what ``put_if`` compares: a GCS generation, an S3 ETag, a
        content digest on local disk.
        """
        ...

    def put_if(self, name: str, data: bytes, token: str | None) -> bool:
        """Compare-and-swap: store ``data`` only if the object is still at version ``token``.

        ``token=None`` means "only if there is no object yet". Returns False,
        writing nothing, when another writer got there first. A write whose
        reply was lost and was retried can report False for its own change:
        callers recognise their own commits by content.
        """
        ...

    def list_details(self, prefix: str = "") -> list[ObjectInfo]:
        """Like ``list``, with each object's size and last write time."""
        ...

    def exists(self, name: str) -> bool: ...

    def check(self) -> None:
        """Raise ``StorageError`` naming the bucket (or folder) when the root cannot exist.

        Called before any work: a missing bucket must not read as an empty lake.
        """
        ...

    def list(self, prefix: str = "") -> list[str]:
        """Sorted names (relative to the root) of every object whose name starts with ``prefix``."""
        ...

    def delete(self, name: str) -> None:
        """Remove the object; removing a missing one is not an error (re-runs are safe)."""
        ...

    def arrow_filesystem(self) -> tuple[pyarrow.fs.FileSystem, str]:
        """A pyarrow filesystem and the root's path on it, for pyarrow datasets."""
        ...

    def duckdb_path(self, name: str) -> str:
        """The path or URL DuckDB reads ``name`` (or a glob like ``t/*/*.parquet``) from."""
        ...

    def duckdb_secret(self) -> dict[str, str | bool] | None:
        """Parameters of a DuckDB ``CREATE SECRET`` reaching this store (None: none needed)."""
        ...


def check_name(name: str) -> str:
    """``name`` if every store can hold it under that name, else a clear error.

    Components starting with a dot are refused: the local store keeps its
    unfinished writes under such names, and ``..`` could escape the root.
    """
    if name.startswith("/") or any(_BAD_COMPONENT.search(part) for part in name.split("/")):
        raise StorageError(
            f"object name {name!r} is not a relative path of non-empty parts "
            "that do not start with '.' (and hold no backslash or control character)"
        )
    return name


def check_prefix(prefix: str) -> str:
    """``prefix`` if it can start object names (empty, or a name that may end with ``/``)."""
    if prefix:
        check_name(prefix.removesuffix("/"))
    return prefix


def content_type(name: str) -> str:
    """The Content-Type to store ``name`` with: browsers read the site and lake from buckets."""
    if name.endswith(".parquet"):
        return "application/vnd.apache.parquet"
    guessed, encoding = _MIME_TYPES.guess_type(name)
    return guessed if guessed and encoding is None else "application/octet-stream"
