"""Object stores for the lake: a local folder, GCS and S3-compatible buckets, one interface.

``open_store(url)`` picks the backend from the URL; everything else talks to
the ``ObjectStore`` interface only.
"""

from chainprice.adapters.storage.base import ObjectInfo, ObjectStore, check_name
from chainprice.adapters.storage.config import StorageConfig
from chainprice.adapters.storage.errors import ObjectMissingError, StorageError
from chainprice.adapters.storage.opener import open_store

__all__ = [
    "ObjectInfo",
    "ObjectMissingError",
    "ObjectStore",
    "StorageConfig",
    "StorageError",
    "check_name",
    "open_store",
]
