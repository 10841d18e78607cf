"""The Esplora client against an in-process imitation of Blockstream's Esplora API."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlsplit

import pytest
import responses
from test_node_rest import linked_headers

from chainprice.adapters.node import EsploraSource, FetchStats, NodeConfig, NotFoundError
from chainprice.adapters.node.esplora import header_from_fields
from chainprice.adapters.node.headers import header_hash, header_time, previous_hash
from chainprice.adapters.node.http import HttpClient

URL = "http://esplora.test/api"
START = 900_000


def block_json(height: int, header: bytes) -> dict[str, Any]:
    """An Esplora ``/blocks`` entry for ``header``, field for field."""
    return {
        "id": header_hash(header),
        "height": height,
        "version": int.from_bytes(header[:4], "little"),
        "timestamp": header_time(header),
        "tx_count": 1,
        "size": 285,
        "weight": 1140,
        "merkle_root": header[36:68][::-1].hex(),
        "previousblockhash": previous_hash(header),
        "mediantime": header_time(header) - 3000,
        "nonce": int.from_bytes(header[76:80], "little"),
        "bits": int.from_bytes(header[72:76], "little"),
        "difficulty": 1.0,
    }


class FakeEsplora:
    """Esplora's block and mempool endpoints over synthetic headers, ten blocks a page."""

    def __init__(self, n: int) -> None:
        self.headers = linked_headers(n)
        self.tip = START + n - 1
        self.broken: set[int] = set()  # heights whose /blocks entry lacks its nonce
        self.paths: list[str] = []

    def __call__(self, request: Any) -> tuple[int, dict[str, str], bytes | str]:
        path = urlsplit(request.url).path.removeprefix("/api/")
        self.paths.append(path)
        by_hash = {header_hash(h): h for h in self.headers}
        if path == "blocks/tip/height":
            return 200, {}, str(self.tip)
        if m := re.fullmatch(r"block-height/(\d+)", path):
            i = int(m.group(1)) - START
            if not 0 <= i < len(self.headers):
                return 404, {}, "Block not found"
            return 200, {}, header_hash(self.headers[i])
        if m := re.fullmatch(r"blocks/(\d+)", path):
            top = min(int(m.group(1)), self.tip)
            page = [
                block_json(h, self.headers[h - START])
                for h in range(top, max(START, top - 9) - 1, -1)
            ]
            for entry in page:
                if entry["height"] in self.broken:
                    del entry["nonce"]
            return 200, {}, json.dumps(page)
        if m := re.fullmatch(r"block/([0-9a-f]{64})/header", path):
            return 200, {}, by_hash[m.group(1)].hex()
        if m := re.fullmatch(r"block/([0-9a-f]{64})/raw", path):
            return 200, {}, by_hash[m.group(1)] + b"\x01rest-of-block"
        if path == "mempool/txids":
            return 200, {}, json.dumps(["aa" * 32, "bb" * 32])
        if path == f"tx/{'aa' * 32}/raw":
            return 200, {}, b"\x01tx"
        return 404, {}, "Transaction not found"


@pytest.fixture
def fake() -> Iterator[FakeEsplora]:
    server = FakeEsplora(40)
    responses.start()
    responses.add_callback(responses.GET, re.compile(re.escape(URL) + "/.*"), callback=server)
    yield server
    responses.stop()
    responses.reset()


def esplora() -> EsploraSource:
    config = NodeConfig(backoff_base=0)
    return EsploraSource(URL, config, http=HttpClient(config, FetchStats(), sleep=lambda _: None))


def test_tip_hashes_blocks_and_mempool(fake: FakeEsplora) -> None:
    node = esplora()
    assert node.tip_height() == START + 39
    assert node.block_hash(START + 7) == header_hash(fake.headers[7])
    assert node.raw_block(header_hash(fake.headers[3])) == fake.headers[3] + b"\x01rest-of-block"
    assert node.mempool_transactions() == [b"\x01tx"]
    with pytest.raises(NotFoundError, match="Block not found"):
        node.block_hash(START + 40)


def test_headers_are_rebuilt_from_block_pages_ten_at_a_time(fake: FakeEsplora) -> None:
    assert esplora().headers(START + 5, 25) == fake.headers[5:30]
    assert fake.paths == [
        "blocks/tip/height",
        f"blocks/{START + 29}",
        f"blocks/{START + 19}",
        f"blocks/{START + 9}",
    ]


def test_entries_that_do_not_rebuild_are_fetched_on_their_own(fake: FakeEsplora) -> None:
    fake.broken = {START + 12}
    assert esplora().headers(START + 10, 5) == fake.headers[10:15]
    assert fake.paths[-1] == f"block/{header_hash(fake.headers[12])}/header"


def test_header_ranges_stop_at_the_tip_and_refuse_heights_beyond(fake: FakeEsplora) -> None:
    assert esplora().headers(START + 35, 50) == fake.headers[35:]
    with pytest.raises(NotFoundError, match=f"no block at height {START + 40}"):
        esplora().headers(START + 40, 1)
    with pytest.raises(NotFoundError, match=f"lacks block {START - 1}"):
        esplora().headers(START - 1, 3)


def test_a_rebuilt_header_must_hash_to_the_id_given() -> None:
    header = linked_headers(2)[1]
    entry = block_json(1, header)
    assert header_from_fields(entry) == header
    assert header_from_fields({**entry, "bits": format(entry["bits"], "x")}) == header
    assert header_from_fields({**entry, "nonce": entry["nonce"] + 1}) is None
    assert header_from_fields({**entry, "merkle_root": "zz"}) is None
