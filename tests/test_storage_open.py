"""open_store: which URLs name which store, endpoints from config or environment, clear refusals."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from chainprice.adapters.storage import StorageConfig, StorageError, open_store
from chainprice.adapters.storage.gcs import GcsStore
from chainprice.adapters.storage.local import LocalStore
from chainprice.adapters.storage.s3 import S3Store

if TYPE_CHECKING:
    from tests.emulators import Emulator

pytest_plugins = ["tests.emulators"]


@pytest.mark.parametrize(
    ("url", "problem"),
    [
        ("", "empty storage URL"),
        ("   ", "empty storage URL"),
        ("http://example.com/lake", "unknown scheme 'http'"),
        ("gcs://bucket/lake", "unknown scheme 'gcs'"),
        ("gs://", "is not a valid bucket name"),
        ("gs://Bucket/lake", "is not a valid bucket name"),
        ("s3://b/lake", "is not a valid bucket name"),
        ("s3://bucket/../lake", "bad prefix"),
        ("s3://bucket/a//b", "bad prefix"),
        ("gs://bucket/lake?x=1", "query or fragment"),
        ("file://host/lake", "is not file:///absolute/path"),
    ],
)
def test_bad_urls_are_refused(url: str, problem: str) -> None:
    with pytest.raises(StorageError, match=problem):
        open_store(url)


def test_local_forms(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    relative = open_store("lake")
    assert isinstance(relative, LocalStore)
    assert relative.url == (tmp_path / "lake").as_uri()
    spaced = open_store((tmp_path / "my lake").as_uri())
    assert spaced.url == (tmp_path / "my lake").as_uri()
    spaced.put("a", b"1")
    assert (tmp_path / "my lake" / "a").read_bytes() == b"1"


def test_cloud_urls_keep_bucket_and_prefix() -> None:
    config = StorageConfig(endpoint_url="http://127.0.0.1:9", access_key_id="k")
    gcs = open_store("gs://my-bucket/some/lake/", config=config)
    s3 = open_store("s3://my.bucket", config=config)
    assert isinstance(gcs, GcsStore)
    assert isinstance(s3, S3Store)
    assert (gcs.url, gcs.duckdb_path("t/x.parquet")) == (
        "gs://my-bucket/some/lake",
        "gs://my-bucket/some/lake/t/x.parquet",
    )
    assert (s3.url, s3.duckdb_path("t/*.parquet")) == (
        "s3://my.bucket",
        "s3://my.bucket/t/*.parquet",
    )


@pytest.mark.parametrize("endpoint", ["ftp://127.0.0.1:9", "http://", "http://host:1/path"])
def test_bad_endpoints_are_refused(endpoint: str) -> None:
    with pytest.raises(StorageError, match="is not http\\(s\\)://host\\[:port\\]"):
        open_store("s3://bucket/lake", config=StorageConfig(endpoint_url=endpoint))


def test_gcs_emulator_from_environment(
    gcs_emulator: Emulator, gcs_bucket: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """STORAGE_EMULATOR_HOST alone (no scheme, as often given) reaches the emulator."""
    monkeypatch.setenv("STORAGE_EMULATOR_HOST", gcs_emulator.endpoint.removeprefix("http://"))
    store = open_store(f"gs://{gcs_bucket}/lake")
    store.put("a/b", b"via env")
    direct = gcs_emulator.open(gcs_bucket)
    assert direct.get("a/b") == b"via env"


def test_s3_endpoint_and_keys_from_environment(
    s3_emulator: Emulator, s3_bucket: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AWS_ENDPOINT_URL", s3_emulator.endpoint)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "from-env")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "from-env")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "eu-west-1")
    store = open_store(f"s3://{s3_bucket}/lake")
    store.put("a/b", b"via env")
    assert s3_emulator.open(s3_bucket).get("a/b") == b"via env"
    secret = store.duckdb_secret()
    assert secret is not None
    assert (secret["KEY_ID"], secret["REGION"]) == ("from-env", "eu-west-1")


@pytest.mark.parametrize("backend", ["gcs", "s3"])
def test_a_missing_bucket_is_a_clear_error(backend: str, request: pytest.FixtureRequest) -> None:
    emulator: Emulator = request.getfixturevalue(f"{backend}_emulator")
    store = emulator.open("no-such-bucket-here")
    with pytest.raises(StorageError, match=r"cannot write a/b to \w+://no-such-bucket-here/lake: "):
        store.put("a/b", b"x")
