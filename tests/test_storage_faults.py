"""Cloud stores under network faults: transient errors are retried, broken uploads leave nothing.

Faults come from a real HTTP proxy on loopback between the store and the
emulator (tests/emulators.py: FaultyProxy), so the libraries' own retry and
upload code runs exactly as it would against a flaky network.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

import pytest

from chainprice.adapters.storage import StorageError

if TYPE_CHECKING:
    from tests.emulators import Emulator, FaultyProxy

pytest_plugins = ["tests.emulators"]

NAME = "outputs/date=2024-06-01/000845390-00000000000000ab.parquet"
BACKENDS = ["gcs", "s3"]
# Small retry budgets keep failing tests quick; defaults are 5 attempts / 60 s.
QUICK = {"max_attempts": 3, "retry_seconds": 1.0}


@pytest.fixture(params=BACKENDS)
def emulator(request: pytest.FixtureRequest) -> Emulator:
    return request.getfixturevalue(f"{request.param}_emulator")


def test_transient_errors_are_retried(
    emulator: Emulator, faulty_proxy: Callable[..., FaultyProxy]
) -> None:
    bucket = emulator.new_bucket()
    proxy = faulty_proxy(emulator.endpoint, fail_first=2)
    store = emulator.open(bucket, endpoint_url=proxy.endpoint)
    assert store.put(NAME, b"stored after two 503s") is True
    assert proxy.requests >= 3  # google-cloud-storage also reads bucket metadata in the background
    assert store.get(NAME) == b"stored after two 503s"
    assert emulator.open(bucket).get(NAME) == b"stored after two 503s"


def test_persistent_errors_end_in_a_clear_error(
    emulator: Emulator, faulty_proxy: Callable[..., FaultyProxy]
) -> None:
    bucket = emulator.new_bucket()
    proxy = faulty_proxy(emulator.endpoint, fail_first=10**9)
    store = emulator.open(bucket, endpoint_url=proxy.endpoint, **QUICK)
    with pytest.raises(StorageError) as err:
        store.put(NAME, b"x")
    assert str(err.value).startswith(f"cannot write {NAME} to {store.url}: ")
    assert proxy.requests >= 2
    with pytest.raises(StorageError, match=f"cannot read {NAME} from"):
        store.get(NAME)
    with pytest.raises(StorageError, match="cannot list 'outputs/' in"):
        store.list("outputs/")


@pytest.mark.parametrize("create_only", [False, True])
def test_an_upload_cut_half_way_leaves_the_old_object(
    emulator: Emulator, faulty_proxy: Callable[..., FaultyProxy], create_only: bool
) -> None:
    bucket = emulator.new_bucket()
    direct = emulator.open(bucket)
    if not create_only:
        direct.put(NAME, b"old")
    proxy = faulty_proxy(emulator.endpoint, cut_uploads=True)
    store = emulator.open(bucket, endpoint_url=proxy.endpoint, **QUICK)
    with pytest.raises(StorageError, match=f"cannot write {NAME} to"):
        store.put(NAME, b"new" * 400_000, create_only=create_only)
    assert proxy.cut >= 1
    assert direct.list() == ([] if create_only else [NAME])
    if not create_only:
        assert direct.get(NAME) == b"old"
