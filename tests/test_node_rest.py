"""The Bitcoin Core REST client against an in-process imitation of Core's REST interface."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
import responses

from chainprice.adapters.node import (
    BadResponseError,
    FetchStats,
    NodeConfig,
    NotFoundError,
    RestSource,
)
from chainprice.adapters.node.headers import header_hash
from chainprice.adapters.node.http import HttpClient
from chainprice.core.sha256d import double_sha256

URL = "http://node.test:8332"
START = 800_000


def linked_headers(n: int) -> list[bytes]:
    """``n`` headers that link by previous-block hash (no proof of work, none needed here)."""
    prev, out = bytes(32), []
    for i in range(n):
        header = b"".join(
            (
                (0x20000000).to_bytes(4, "little"),
                prev,
                i.to_bytes(32, "little"),
                (1_700_000_000 + 600 * i).to_bytes(4, "little"),
                (0x17034219).to_bytes(4, "little"),
                (i * 7919).to_bytes(4, "little"),
            )
        )
        prev = double_sha256(header)
        out.append(header)
    return out


class FakeRest:
    """Core's REST endpoints over synthetic headers; ``legacy`` imitates a node before v24."""

    def __init__(self, n: int, *, legacy: bool = False) -> None:
        self.headers = linked_headers(n)
        self.index = {header_hash(h): i for i, h in enumerate(self.headers)}
        self.legacy = legacy
        self.paths: list[str] = []

    def __call__(self, request: Any) -> tuple[int, dict[str, str], bytes | str]:
        parts = urlsplit(request.url)
        path = parts.path.removeprefix("/rest/")
        self.paths.append(path)
        if path == "chaininfo.json":
            return 200, {}, json.dumps({"chain": "main", "blocks": START + len(self.headers) - 1})
        if m := re.fullmatch(r"blockhashbyheight/(\d+)\.hex", path):
            i = int(m.group(1)) - START
            if not 0 <= i < len(self.headers):
                return 404, {}, "Block height out of range\r\n"
            return 200, {}, header_hash(self.headers[i]) + "\n"
        if m := re.fullmatch(r"headers/(\d+)/([0-9a-f]{64})\.bin", path):
            return self.header_run(m.group(2), int(m.group(1)))
        if m := re.fullmatch(r"headers/([0-9a-f]{64})\.bin", path):
            if self.legacy:
                return 400, {}, "No header count specified. Use /rest/headers/<count>/<hash>.<ext>."
            return self.header_run(m.group(1), int(parse_qs(parts.query)["count"][0]))
        if path == "mempool/contents.json":
            return (
                200,
                {},
                json.dumps({t * 32: {"vsize": 1, "time": 5, "depends": []} for t in ("aa", "bb")}),
            )
        if path == f"tx/{'aa' * 32}.bin":
            return 200, {}, b"\x01tx"
        return 404, {}, f"{path} not found\r\n"

    def header_run(self, block_hash: str, count: int) -> tuple[int, dict[str, str], bytes | str]:
        if count > 2000:
            return 400, {}, "Header count is invalid or out of acceptable range (1-2000)"
        if block_hash not in self.index:
            return 404, {}, f"{block_hash} not found"
        i = self.index[block_hash]
        return 200, {}, b"".join(self.headers[i : i + count])


@pytest.fixture
def fake() -> Iterator[FakeRest]:
    server = FakeRest(2600)
    responses.start()
    responses.add_callback(responses.GET, re.compile(re.escape(URL) + "/rest/.*"), callback=server)
    yield server
    responses.stop()
    responses.reset()


def rest(url: str = URL) -> RestSource:
    config = NodeConfig(backoff_base=0)
    return RestSource(url, config, http=HttpClient(config, FetchStats(), sleep=lambda _: None))


def test_tip_and_hashes(fake: FakeRest) -> None:
    node = rest()
    assert node.tip_height() == START + 2599
    assert node.block_hash(START + 10) == header_hash(fake.headers[10])
    assert rest(URL + "/rest/").block_hash(START) == header_hash(fake.headers[0])
    with pytest.raises(NotFoundError, match="Block height out of range"):
        node.block_hash(START + 2600)


def test_long_header_ranges_continue_from_the_last_header_received(fake: FakeRest) -> None:
    node = rest()
    assert node.headers(START + 100, 2400) == fake.headers[100:2500]
    assert fake.paths[1:] == [
        f"headers/{header_hash(fake.headers[100])}.bin",
        f"headers/{header_hash(fake.headers[2099])}.bin",
    ]


def test_header_ranges_stop_at_the_tip(fake: FakeRest) -> None:
    assert rest().headers(START + 2590, 50) == fake.headers[2590:]
    with pytest.raises(NotFoundError):
        rest().headers(START + 2600, 5)


def test_old_nodes_get_the_legacy_header_path_from_then_on(fake: FakeRest) -> None:
    fake.legacy = True
    node = rest()
    assert node.headers(START, 3) == fake.headers[:3]
    assert node.headers(START + 5, 2) == fake.headers[5:7]
    h0, h5 = header_hash(fake.headers[0]), header_hash(fake.headers[5])
    assert fake.paths == [
        f"blockhashbyheight/{START}.hex",
        f"headers/{h0}.bin",
        f"headers/3/{h0}.bin",
        f"blockhashbyheight/{START + 5}.hex",
        f"headers/2/{h5}.bin",
    ]


def test_mempool_transactions_gone_meanwhile_are_skipped(fake: FakeRest) -> None:
    assert rest().mempool_transactions() == [b"\x01tx"]


@responses.activate
def test_cut_headers_and_hashes_are_fetched_again() -> None:
    headers = linked_headers(3)
    first = header_hash(headers[0])
    responses.add(responses.GET, f"{URL}/rest/blockhashbyheight/5.hex", body=first[:40])
    responses.add(responses.GET, f"{URL}/rest/blockhashbyheight/5.hex", body=first)
    headers_url = f"{URL}/rest/headers/{first}.bin"
    responses.add(responses.GET, headers_url, body=b"".join(headers)[:170])
    responses.add(responses.GET, headers_url, body=b"".join(headers))
    node = rest()
    assert node.headers(5, 3) == headers
    assert node.stats.retries == 2


@responses.activate
def test_headers_that_do_not_start_at_the_block_asked_for_are_refused() -> None:
    headers = linked_headers(3)
    first = header_hash(headers[0])
    responses.add(responses.GET, f"{URL}/rest/blockhashbyheight/5.hex", body=first)
    responses.add(responses.GET, f"{URL}/rest/headers/{first}.bin", body=b"".join(headers[1:]))
    with pytest.raises(BadResponseError, match=f"headers from {first} do not start"):
        rest().headers(5, 3)


@responses.activate
def test_blocks_come_back_byte_for_byte() -> None:
    block = bytes(range(256)) * 1000
    responses.add(responses.GET, f"{URL}/rest/block/{'ab' * 32}.bin", body=block)
    assert rest().raw_block("AB" * 32) == block
