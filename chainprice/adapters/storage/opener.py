"""From a lake URL to the store behind it, refusing URLs that name no usable store."""

from __future__ import annotations

import re
from urllib.parse import unquote, urlsplit

from chainprice.adapters.storage.base import ObjectStore, check_name
from chainprice.adapters.storage.config import StorageConfig
from chainprice.adapters.storage.errors import StorageError
from chainprice.adapters.storage.local import LocalStore

_BUCKET = re.compile(r"[a-z0-9][a-z0-9._-]{1,220}[a-z0-9]")
_USAGE = "use a folder, file:///abs/dir, gs://bucket[/prefix] or s3://bucket[/prefix]"


def open_store(url: str, *, config: StorageConfig | None = None) -> ObjectStore:
    """The store at ``url``: a plain folder path, ``file://``, ``gs://`` or ``s3://``."""
    config = config or StorageConfig()
    if not url.strip():
        raise StorageError(f"empty storage URL ({_USAGE})")
    if "://" not in url:
        return LocalStore(url)
    parts = urlsplit(url)
    if parts.query or parts.fragment:
        raise StorageError(f"storage URL {url!r} has a query or fragment ({_USAGE})")
    if parts.scheme == "file":
        if parts.netloc not in ("", "localhost") or not parts.path.startswith("/"):
            raise StorageError(f"storage URL {url!r} is not file:///absolute/path")
        return LocalStore(unquote(parts.path))
    if parts.scheme not in ("gs", "s3"):
        raise StorageError(f"storage URL {url!r}: unknown scheme {parts.scheme!r} ({_USAGE})")
    if not _BUCKET.fullmatch(parts.netloc):
        raise StorageError(f"storage URL {url!r}: {parts.netloc!r} is not a valid bucket name")
    prefix = parts.path.strip("/")
    if prefix:
        try:
            check_name(prefix)
        except StorageError:
            raise StorageError(f"storage URL {url!r}: bad prefix {prefix!r}") from None
    # Each cloud library costs a few tenths of a second to import: only the one in use is.
    if parts.scheme == "gs":
        from chainprice.adapters.storage.gcs import GcsStore

        return GcsStore(parts.netloc, prefix, config)
    from chainprice.adapters.storage.s3 import S3Store

    return S3Store(parts.netloc, prefix, config)
