"""Object stores for the lake: a local folder, GCS and S3-compatible buckets, one interface.

``open_store(url)`` picks the backend from the URL; everything else talks to
the ``ObjectStore`` interface only.
"""

from adapters.storage.base import ObjectInfo, ObjectStore, check_name
from adapters.storage.config import StorageConfig
from adapters.storage.errors import ObjectMissingError, StorageError
from adapters.storage.opener import open_store

__all__ = [
    "ObjectInfo",
    "ObjectMissingError",
    "ObjectStore",
    "StorageConfig",
    "StorageError",
    "check_name",
    "open_store",
]
