"""What reaching an object store needs beyond its URL: endpoint, credentials, retry budget."""

from __future__ import annotations

import os
from dataclasses import dataclass
from urllib.parse import urlsplit

from chainprice.adapters.storage.errors import StorageError


@dataclass(frozen=True)
class StorageConfig:
    """Settings shared by the cloud stores; every field has a working default.

    Unset fields fall back to the environment the cloud libraries already
    read (``AWS_ENDPOINT_URL``, ``STORAGE_EMULATOR_HOST``, ``AWS_ACCESS_KEY_ID``,
    application default credentials), then to the provider's own service.
    """

    endpoint_url: str | None = None
    """``http(s)://host:port`` of an S3- or GCS-compatible server (an emulator, MinIO)."""
    access_key_id: str | None = None
    """S3 access key; for GCS, an HMAC key id that DuckDB uses (the Python client does not)."""
    secret_access_key: str | None = None
    region: str | None = None
    """S3 region (emulators accept any)."""
    project: str | None = None
    """GCS project of the client (None: the credentials' own)."""
    anonymous: bool = False
    """GCS without credentials: public buckets. Implied by an emulator endpoint."""
    max_attempts: int = 5
    """S3: attempts per call on transient errors, with exponential backoff and jitter."""
    retry_seconds: float = 60.0
    """GCS: time budget per call for retries on transient errors, with exponential backoff."""
    timeout_seconds: float = 60.0
    """Connect and read timeout of each request."""


@dataclass(frozen=True)
class Endpoint:
    """A custom service endpoint split the ways the libraries want it."""

    url: str
    """``scheme://host:port``, for boto3 and google-cloud-storage."""
    host: str
    """``host:port``, for pyarrow's ``endpoint_override`` and DuckDB's ``ENDPOINT``."""
    secure: bool


def resolve_endpoint(explicit: str | None, env_var: str) -> Endpoint | None:
    """The endpoint from the config, else from ``env_var``; None means the provider's own.

    A value without a scheme means plain http, as emulator hosts are often given.
    """
    value = explicit or os.environ.get(env_var)
    if not value:
        return None
    parts = urlsplit(value if "://" in value else f"http://{value}")
    if parts.scheme not in ("http", "https") or not parts.netloc or parts.path.strip("/"):
        source = "the storage config" if explicit else env_var
        raise StorageError(f"storage endpoint {value!r} from {source} is not http(s)://host[:port]")
    return Endpoint(f"{parts.scheme}://{parts.netloc}", parts.netloc, parts.scheme == "https")
