"""The ObjectStore contract, checked the same way on a local folder, fake-gcs-server and moto."""

from __future__ import annotations

import threading

import pytest

from chainprice.adapters.storage import ObjectMissingError, ObjectStore, StorageError

pytest_plugins = ["tests.emulators"]

BLOCK_A = "outputs/date=2024-06-01/000845390-00000000000000ab.parquet"
BLOCK_B = "outputs/date=2024-06-01/000845391-00000000000000cd.parquet"
NEXT_DAY = "outputs/date=2024-06-02/000845534-00000000000000ef.parquet"
DAY_PRICE = "prices/kind=day/date=2024-06-01/price.parquet"
BAD_NAMES = ["", "/abs", "a//b", "a/", "a/../b", "..", ".hidden", "a/.tmp/b", "a\\b", "a\nb"]


def test_put_get_overwrite(any_store: ObjectStore) -> None:
    assert not any_store.exists(DAY_PRICE)
    assert any_store.put(DAY_PRICE, b"first") is True
    assert any_store.exists(DAY_PRICE)
    assert any_store.get(DAY_PRICE) == b"first"
    assert any_store.put(DAY_PRICE, b"second") is True
    assert any_store.get(DAY_PRICE) == b"second"
    assert any_store.list() == [DAY_PRICE]


def test_empty_and_binary_objects_round_trip(any_store: ObjectStore) -> None:
    payload = bytes(range(256)) * 4096  # 1 MiB, every byte value
    any_store.put("a/empty", b"")
    any_store.put("a/binary", payload)
    assert any_store.get("a/empty") == b""
    assert any_store.get("a/binary") == payload


def test_missing_object_is_a_clear_error(any_store: ObjectStore) -> None:
    with pytest.raises(ObjectMissingError) as err:
        any_store.get(DAY_PRICE)
    assert DAY_PRICE in str(err.value)
    assert any_store.url in str(err.value)


def test_list_is_sorted_relative_and_filtered_by_prefix(any_store: ObjectStore) -> None:
    for name in (NEXT_DAY, DAY_PRICE, BLOCK_B, BLOCK_A):
        any_store.put(name, name.encode())
    assert any_store.list() == sorted([BLOCK_A, BLOCK_B, NEXT_DAY, DAY_PRICE])
    assert any_store.list("outputs/date=2024-06-01/") == [BLOCK_A, BLOCK_B]
    assert any_store.list("outputs/date=2024-06-0") == [BLOCK_A, BLOCK_B, NEXT_DAY]
    assert any_store.list("outputs/date=2024-06-01/000845391") == [BLOCK_B]
    assert any_store.list("prices/kind=recent/") == []
    assert any_store.list("nothing") == []


def test_delete_is_idempotent(any_store: ObjectStore) -> None:
    any_store.put(BLOCK_A, b"x")
    any_store.put(BLOCK_B, b"y")
    any_store.delete(BLOCK_A)
    any_store.delete(BLOCK_A)
    any_store.delete("never/written")
    assert not any_store.exists(BLOCK_A)
    assert any_store.list() == [BLOCK_B]


def test_create_only_never_replaces(any_store: ObjectStore) -> None:
    assert any_store.put(BLOCK_A, b"original", create_only=True) is True
    assert any_store.put(BLOCK_A, b"original", create_only=True) is False
    assert any_store.put(BLOCK_A, b"other", create_only=True) is False
    assert any_store.get(BLOCK_A) == b"original"


def test_create_only_race_has_one_winner(any_store: ObjectStore) -> None:
    writers = 6
    start = threading.Barrier(writers)
    results: dict[int, bool] = {}

    def write(i: int) -> None:
        start.wait()
        results[i] = any_store.put(BLOCK_A, f"writer {i}".encode() * 1000, create_only=True)

    threads = [threading.Thread(target=write, args=(i,)) for i in range(writers)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    winners = [i for i, won in results.items() if won]
    assert len(results) == writers
    assert len(winners) == 1
    assert any_store.get(BLOCK_A) == f"writer {winners[0]}".encode() * 1000
    assert any_store.list() == [BLOCK_A]


def test_bad_names_are_refused(any_store: ObjectStore) -> None:
    for name in BAD_NAMES:
        with pytest.raises(StorageError, match="object name"):
            any_store.put(name, b"x")
        with pytest.raises(StorageError, match="object name"):
            any_store.get(name)
        with pytest.raises(StorageError, match="object name"):
            any_store.delete(name)
    assert any_store.list() == []


def test_compare_and_swap_has_one_winner_per_version(any_store: ObjectStore) -> None:
    assert any_store.get_versioned("manifest.json") is None
    assert any_store.put_if("manifest.json", b"v1", None) is True
    assert any_store.put_if("manifest.json", b"again", None) is False
    data, token = any_store.get_versioned("manifest.json")
    assert data == b"v1"
    wins = []

    def writer(i: int) -> None:
        wins.append(any_store.put_if("manifest.json", f"v2-{i}".encode(), token))

    threads = [threading.Thread(target=writer, args=(i,)) for i in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(wins) == [False] * 5 + [True]
    data, newer = any_store.get_versioned("manifest.json")
    assert data.startswith(b"v2-") and newer != token
    assert any_store.put_if("manifest.json", b"stale", token) is False
    assert any_store.put_if("manifest.json", b"v3", newer) is True


def test_list_details_gives_sizes_and_times(any_store: ObjectStore) -> None:
    import time

    before = time.time() - 5
    any_store.put(BLOCK_A, b"12345")
    (info,) = any_store.list_details("outputs/")
    assert (info.name, info.size) == (BLOCK_A, 5)
    assert before < info.updated < time.time() + 5
