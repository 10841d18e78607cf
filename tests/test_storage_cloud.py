"""What only the bucket stores do: content types browsers rely on, DuckDB secrets per backend."""

from __future__ import annotations

from typing import TYPE_CHECKING
from urllib.parse import quote

import boto3
import pytest
import requests

if TYPE_CHECKING:
    from tests.emulators import Emulator

pytest_plugins = ["tests.emulators"]

TYPES = {
    "prices/kind=day/date=2024-06-01/price.parquet": "application/vnd.apache.parquet",
    "manifest.json": "application/json",
    "site/index.html": "text/html",
    "site/app.mjs": "application/javascript",
    "site/duckdb-eh.wasm": "application/wasm",
    "archive.json.gz": "application/octet-stream",
}


def stored_type(emulator: Emulator, bucket: str, key: str) -> str:
    """The Content-Type the emulator keeps, asked directly (not through the store)."""
    if emulator.scheme == "gs":
        url = f"{emulator.endpoint}/storage/v1/b/{bucket}/o/{quote(key, safe='')}"
        return requests.get(url, timeout=10).json()["contentType"]
    client = boto3.client(
        "s3",
        endpoint_url=emulator.endpoint,
        region_name=emulator.config.region,
        aws_access_key_id=emulator.config.access_key_id,
        aws_secret_access_key=emulator.config.secret_access_key,
    )
    return client.head_object(Bucket=bucket, Key=key)["ContentType"]


@pytest.mark.parametrize("backend", ["gcs", "s3"])
def test_objects_carry_the_content_type_of_their_name(
    backend: str, request: pytest.FixtureRequest
) -> None:
    emulator: Emulator = request.getfixturevalue(f"{backend}_emulator")
    bucket = emulator.new_bucket()
    store = emulator.open(bucket)
    for name in TYPES:
        store.put(name, b"{}")
    assert {name: stored_type(emulator, bucket, f"lake/{name}") for name in TYPES} == TYPES


@pytest.mark.parametrize("backend", ["gcs", "s3"])
def test_duckdb_secret_points_at_the_emulator(backend: str, request: pytest.FixtureRequest) -> None:
    emulator: Emulator = request.getfixturevalue(f"{backend}_emulator")
    secret = emulator.open("some-bucket").duckdb_secret()
    assert secret is not None
    host = emulator.endpoint.removeprefix("http://")
    assert (secret["ENDPOINT"], secret["USE_SSL"], secret["URL_STYLE"]) == (host, False, "path")
    assert secret["SCOPE"] == f"{emulator.scheme}://some-bucket"
