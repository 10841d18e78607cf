"""An S3-compatible bucket (AWS, MinIO, moto) as an object store.

Create-only writes send ``If-None-Match: *``, which S3 checks atomically
(moto honours it too): of two racing writers exactly one wins. A PUT is
all-or-nothing, so a failed write leaves the old object, never a partial one.
"""

from __future__ import annotations

import boto3
import botocore.config
import botocore.exceptions
import pyarrow.fs

from chainprice.adapters.storage.base import ObjectInfo, check_name, check_prefix, content_type
from chainprice.adapters.storage.config import StorageConfig, resolve_endpoint
from chainprice.adapters.storage.errors import ObjectMissingError, StorageError, storage_failure

_FAILURES = (botocore.exceptions.BotoCoreError, botocore.exceptions.ClientError)
_MISSING = ("NoSuchKey", "404")
_LOST_RACE = ("PreconditionFailed", "412", "ConditionalRequestConflict", "409")


class S3Store:
    """Objects under ``s3://bucket/prefix``."""

    def __init__(self, bucket: str, prefix: str, config: StorageConfig) -> None:
        self.bucket = bucket
        self._root = f"{prefix}/" if prefix else ""
        self._path = f"{bucket}/{prefix}" if prefix else bucket
        self.url = f"s3://{self._path}"
        self._config = config
        self._endpoint = resolve_endpoint(config.endpoint_url, "AWS_ENDPOINT_URL")
        session = boto3.session.Session(
            aws_access_key_id=config.access_key_id,
            aws_secret_access_key=config.secret_access_key,
            region_name=config.region,
        )
        self._region = session.region_name or "us-east-1"
        self._credentials = session.get_credentials()
        self._client = session.client(
            "s3",
            region_name=self._region,
            endpoint_url=self._endpoint.url if self._endpoint else None,
            config=botocore.config.Config(
                retries={"mode": "standard", "max_attempts": config.max_attempts},
                connect_timeout=config.timeout_seconds,
                read_timeout=config.timeout_seconds,
                s3={"addressing_style": "path"} if self._endpoint else None,
            ),
        )

    def check(self) -> None:
        """The bucket must exist and be reachable with these credentials (one HEAD request)."""
        try:
            self._client.head_bucket(Bucket=self.bucket)
        except botocore.exceptions.ClientError as exc:
            if _code(exc) in ("404", "NoSuchBucket"):
                raise StorageError(
                    f"the bucket {self.bucket} of {self.url} does not exist: create it first"
                ) from None
            raise storage_failure("look up", f"the bucket {self.bucket}", self.url, exc) from None
        except botocore.exceptions.BotoCoreError as exc:
            raise storage_failure("look up", f"the bucket {self.bucket}", self.url, exc) from None

    def _key(self, name: str) -> str:
        return self._root + check_name(name)

    def put(self, name: str, data: bytes, *, create_only: bool = False) -> bool:
        return self._put(name, data, {"IfNoneMatch": "*"} if create_only else {})

    def _put(self, name: str, data: bytes, condition: dict[str, str]) -> bool:
        """One PUT; False when its condition failed (another writer got there first)."""
        try:
            self._client.put_object(
                Bucket=self.bucket,
                Key=self._key(name),
                Body=data,
                ContentType=content_type(name),
                **condition,
            )
        except botocore.exceptions.ClientError as exc:
            if condition and _code(exc) in _LOST_RACE:
                return False
            raise storage_failure("write", name, self.url, exc) from None
        except botocore.exceptions.BotoCoreError as exc:
            raise storage_failure("write", name, self.url, exc) from None
        return True

    def get(self, name: str) -> bytes:
        try:
            response = self._client.get_object(Bucket=self.bucket, Key=self._key(name))
            return response["Body"].read()
        except botocore.exceptions.ClientError as exc:
            if _code(exc) in _MISSING:
                raise ObjectMissingError(f"no object {name} in {self.url}") from None
            raise storage_failure("read", name, self.url, exc) from None
        except botocore.exceptions.BotoCoreError as exc:
            raise storage_failure("read", name, self.url, exc) from None

    def get_versioned(self, name: str) -> tuple[bytes, str] | None:
        try:
            response = self._client.get_object(Bucket=self.bucket, Key=self._key(name))
            return response["Body"].read(), response["ETag"]
        except botocore.exceptions.ClientError as exc:
            if _code(exc) in _MISSING:
                return None
            raise storage_failure("read", name, self.url, exc) from None
        except botocore.exceptions.BotoCoreError as exc:
            raise storage_failure("read", name, self.url, exc) from None

    def put_if(self, name: str, data: bytes, token: str | None) -> bool:
        return self._put(name, data, {"IfNoneMatch": "*"} if token is None else {"IfMatch": token})

    def exists(self, name: str) -> bool:
        try:
            self._client.head_object(Bucket=self.bucket, Key=self._key(name))
        except botocore.exceptions.ClientError as exc:
            if _code(exc) in _MISSING:
                return False
            raise storage_failure("look up", name, self.url, exc) from None
        except botocore.exceptions.BotoCoreError as exc:
            raise storage_failure("look up", name, self.url, exc) from None
        return True

    def list(self, prefix: str = "") -> list[str]:
        return [info.name for info in self.list_details(prefix)]

    def list_details(self, prefix: str = "") -> list[ObjectInfo]:
        pages = self._client.get_paginator("list_objects_v2").paginate(
            Bucket=self.bucket, Prefix=self._root + check_prefix(prefix)
        )
        try:
            found = [
                ObjectInfo(
                    obj["Key"].removeprefix(self._root),
                    int(obj["Size"]),
                    obj["LastModified"].timestamp(),
                )
                for page in pages
                for obj in page.get("Contents", ())
                if not obj["Key"].endswith("/")  # pyarrow's folder markers are not objects
            ]
        except _FAILURES as exc:
            raise storage_failure("list", repr(prefix), self.url, exc) from None
        return sorted(found, key=lambda info: info.name)

    def delete(self, name: str) -> None:
        try:
            self._client.delete_object(Bucket=self.bucket, Key=self._key(name))
        except _FAILURES as exc:
            raise storage_failure("delete", name, self.url, exc) from None

    def arrow_filesystem(self) -> tuple[pyarrow.fs.FileSystem, str]:
        options: dict[str, object] = {
            "region": self._region,
            "retry_strategy": pyarrow.fs.AwsStandardS3RetryStrategy(self._config.max_attempts),
            "connect_timeout": self._config.timeout_seconds,
            "request_timeout": self._config.timeout_seconds,
        }
        if self._credentials is not None:
            frozen = self._credentials.get_frozen_credentials()
            options |= {
                "access_key": frozen.access_key,
                "secret_key": frozen.secret_key,
                "session_token": frozen.token,
            }
        if self._endpoint:
            options["endpoint_override"] = self._endpoint.host
            options["scheme"] = "https" if self._endpoint.secure else "http"
        return pyarrow.fs.S3FileSystem(**options), self._path

    def duckdb_path(self, name: str) -> str:
        return f"s3://{self.bucket}/{self._root}{check_prefix(name)}"

    def duckdb_secret(self) -> dict[str, str | bool]:
        secret: dict[str, str | bool] = {
            "TYPE": "s3",
            "SCOPE": f"s3://{self.bucket}",
            "REGION": self._region,
        }
        if self._credentials is not None:
            frozen = self._credentials.get_frozen_credentials()
            secret |= {"KEY_ID": frozen.access_key, "SECRET": frozen.secret_key}
            if frozen.token:
                secret["SESSION_TOKEN"] = frozen.token
        if self._endpoint:
            secret |= {
                "ENDPOINT": self._endpoint.host,
                "USE_SSL": self._endpoint.secure,
                "URL_STYLE": "path",
            }
        return secret


def _code(exc: botocore.exceptions.ClientError) -> str:
    return str(exc.response.get("Error", {}).get("Code", ""))
