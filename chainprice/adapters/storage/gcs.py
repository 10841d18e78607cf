"""A Google Cloud Storage bucket (or fake-gcs-server) as an object store.

Create-only writes use the ``ifGenerationMatch=0`` precondition, which GCS
checks atomically: of two racing writers exactly one wins. Every upload is a
single request or a resumable session that only becomes an object when
finished, so a failed write leaves the old object, never a partial one.
"""

from __future__ import annotations

import datetime as dt

import google.auth.exceptions
import pyarrow.fs
import requests
from google.api_core import exceptions as api_exceptions
from google.auth.credentials import AnonymousCredentials
from google.cloud import storage
from google.cloud.storage import exceptions as storage_exceptions
from google.cloud.storage.retry import DEFAULT_RETRY

from chainprice.adapters.storage.base import ObjectInfo, check_name, check_prefix, content_type
from chainprice.adapters.storage.config import StorageConfig, resolve_endpoint
from chainprice.adapters.storage.errors import ObjectMissingError, StorageError, storage_failure

_FAILURES = (
    api_exceptions.GoogleAPIError,
    google.auth.exceptions.GoogleAuthError,
    requests.RequestException,
    storage_exceptions.InvalidResponse,
    storage_exceptions.DataCorruption,
    OSError,
)
_FIRST_DELAY_S = 0.5
_MAX_DELAY_S = 16.0


class GcsStore:
    """Objects under ``gs://bucket/prefix``."""

    def __init__(self, bucket: str, prefix: str, config: StorageConfig) -> None:
        self.bucket = bucket
        self._root = f"{prefix}/" if prefix else ""
        self._path = f"{bucket}/{prefix}" if prefix else bucket
        self.url = f"gs://{self._path}"
        self._config = config
        self._endpoint = resolve_endpoint(config.endpoint_url, "STORAGE_EMULATOR_HOST")
        self._anonymous = config.anonymous or self._endpoint is not None
        self._retry = DEFAULT_RETRY.with_delay(
            initial=_FIRST_DELAY_S, maximum=_MAX_DELAY_S, multiplier=2.0
        ).with_timeout(config.retry_seconds)
        self._timeout = config.timeout_seconds
        options = {"api_endpoint": self._endpoint.url} if self._endpoint else None
        try:
            if self._anonymous:
                client = storage.Client(
                    project=config.project or "anonymous",
                    credentials=AnonymousCredentials(),
                    client_options=options,
                )
            else:
                client = storage.Client(project=config.project, client_options=options)
        except google.auth.exceptions.DefaultCredentialsError as exc:
            raise StorageError(f"no Google credentials to open {self.url}: {exc}") from None
        self._bucket = client.bucket(bucket)

    def check(self) -> None:
        """The bucket must exist (one metadata request)."""
        try:
            found = self._bucket.exists(timeout=self._timeout, retry=self._retry)
        except _FAILURES as exc:
            raise storage_failure("look up", f"the bucket {self.bucket}", self.url, exc) from None
        if not found:
            raise StorageError(
                f"the bucket {self.bucket} of {self.url} does not exist: create it first"
            )

    def _blob(self, name: str) -> storage.Blob:
        return self._bucket.blob(self._root + check_name(name))

    def put(self, name: str, data: bytes, *, create_only: bool = False) -> bool:
        return self._upload(name, data, 0 if create_only else None)

    def _upload(self, name: str, data: bytes, generation: int | None) -> bool:
        """One upload; False when ``generation`` no longer matches (another writer won)."""
        try:
            self._blob(name).upload_from_string(
                data,
                content_type=content_type(name),
                if_generation_match=generation,
                retry=self._retry,
                timeout=self._timeout,
            )
        except api_exceptions.PreconditionFailed:
            return False
        except _FAILURES as exc:
            raise storage_failure("write", name, self.url, exc) from None
        return True

    def get(self, name: str) -> bytes:
        try:
            return self._blob(name).download_as_bytes(retry=self._retry, timeout=self._timeout)
        except api_exceptions.NotFound:
            raise ObjectMissingError(f"no object {name} in {self.url}") from None
        except _FAILURES as exc:
            raise storage_failure("read", name, self.url, exc) from None

    def get_versioned(self, name: str) -> tuple[bytes, str] | None:
        blob = self._blob(name)
        try:
            data = blob.download_as_bytes(retry=self._retry, timeout=self._timeout)
        except api_exceptions.NotFound:
            return None
        except _FAILURES as exc:
            raise storage_failure("read", name, self.url, exc) from None
        return data, str(blob.generation)

    def put_if(self, name: str, data: bytes, token: str | None) -> bool:
        return self._upload(name, data, 0 if token is None else int(token))

    def exists(self, name: str) -> bool:
        try:
            return self._blob(name).exists(retry=self._retry, timeout=self._timeout)
        except _FAILURES as exc:
            raise storage_failure("look up", name, self.url, exc) from None

    def list(self, prefix: str = "") -> list[str]:
        return [info.name for info in self.list_details(prefix)]

    def list_details(self, prefix: str = "") -> list[ObjectInfo]:
        try:
            blobs = self._bucket.list_blobs(
                prefix=self._root + check_prefix(prefix), retry=self._retry, timeout=self._timeout
            )
            found = [
                ObjectInfo(
                    blob.name.removeprefix(self._root),
                    int(blob.size or 0),
                    blob.updated.timestamp() if blob.updated else 0.0,
                )
                for blob in blobs
                if not blob.name.endswith("/")  # pyarrow's folder markers are not objects
            ]
        except _FAILURES as exc:
            raise storage_failure("list", repr(prefix), self.url, exc) from None
        return sorted(found, key=lambda info: info.name)

    def delete(self, name: str) -> None:
        try:
            self._blob(name).delete(retry=self._retry, timeout=self._timeout)
        except api_exceptions.NotFound:
            return
        except _FAILURES as exc:
            raise storage_failure("delete", name, self.url, exc) from None

    def arrow_filesystem(self) -> tuple[pyarrow.fs.FileSystem, str]:
        options: dict[str, object] = {
            "anonymous": self._anonymous,
            "retry_time_limit": dt.timedelta(seconds=self._config.retry_seconds),
        }
        if self._config.project:
            options["project_id"] = self._config.project
        if self._endpoint:
            options["endpoint_override"] = self._endpoint.host
            options["scheme"] = "https" if self._endpoint.secure else "http"
        return pyarrow.fs.GcsFileSystem(**options), self._path

    def duckdb_path(self, name: str) -> str:
        return f"gs://{self.bucket}/{self._root}{check_prefix(name)}"

    def duckdb_secret(self) -> dict[str, str | bool]:
        secret: dict[str, str | bool] = {"TYPE": "gcs", "SCOPE": f"gs://{self.bucket}"}
        if self._config.access_key_id and self._config.secret_access_key:
            secret["KEY_ID"] = self._config.access_key_id
            secret["SECRET"] = self._config.secret_access_key
        if self._endpoint:
            secret |= {
                "ENDPOINT": self._endpoint.host,
                "USE_SSL": self._endpoint.secure,
                "URL_STYLE": "path",
            }
        return secret
