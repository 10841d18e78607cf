"""A golden-layout folder served by the simulated node: hashes, headers, prices as its index.

And end to end: blocks pulled over REST price to the reference's own result.
"""

from __future__ import annotations

import datetime as dt
import json
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests
from conftest import GOLDEN, expected

from chainprice.adapters.memory_chain import MemoryChain
from chainprice.core import price_day
from chainprice.core.errors import SourceError
from chainprice.nodesim import NodeSim, ServedChain

NAME = "g2_97k"


@pytest.fixture(scope="module")
def index() -> dict:
    return json.loads((GOLDEN / NAME / "index.json").read_text())


@pytest.fixture(scope="module")
def node(tmp_path_factory: pytest.TempPathFactory) -> Iterator[NodeSim]:
    chain = ServedChain.from_directory(GOLDEN / NAME)
    with NodeSim(chain, datadir=tmp_path_factory.mktemp("golden")) as running:
        yield running


@pytest.fixture(scope="module")
def session(node: NodeSim) -> Iterator[requests.Session]:
    with requests.Session() as s:
        s.auth = tuple(node.cookie_path.read_text().split(":"))
        yield s


def call(session: requests.Session, node: NodeSim, method: str, *params) -> object:
    reply = session.post(node.url, json={"method": method, "params": list(params), "id": 1})
    return reply.json()["result"]


def test_hashes_and_headers_match_the_index(node, session, index):
    blocks = index["blocks"]
    assert call(session, node, "getblockcount") == index["tip"]
    hashes = session.post(
        node.url,
        json=[{"method": "getblockhash", "params": [b["height"]], "id": 0} for b in blocks],
    ).json()
    assert [h["result"] for h in hashes] == [b["hash"] for b in blocks]
    headers = session.get(f"{node.url}/rest/headers/{blocks[0]['hash']}.bin?count=2000").content
    assert headers == b"".join(bytes.fromhex(b["header"]) for b in blocks)
    for block in blocks[::25]:
        header = call(session, node, "getblockheader", block["hash"])
        assert (header["height"], header["time"], header["nTx"]) == (
            block["height"],
            block["time"],
            block["ntx"],
        )
        assert header["previousblockhash"] == block["prev"]


def test_block_sizes_and_weights_match_the_index(node, session, index):
    for block in index["blocks"][::10]:
        verbose = call(session, node, "getblock", block["hash"], 1)
        assert (verbose["size"], verbose["strippedsize"], verbose["weight"]) == (
            block["size"],
            block["strippedsize"],
            block["weight"],
        )
        assert len(verbose["tx"]) == block["ntx"]


def test_mempool_file_is_served(node, session):
    listed = json.loads((GOLDEN / NAME / "mempool.json").read_text())["txs"]
    assert call(session, node, "getrawmempool") == [t["txid"] for t in listed]
    sample = listed[17]
    assert call(session, node, "getrawtransaction", sample["txid"]) == sample["hex"]
    assert call(session, node, "getmempoolentry", sample["txid"])["time"] == sample["time"]


def test_price_rows_come_from_price_hourly(node, index):
    for when, usd in index["price_hourly"][:5]:
        url = f"{node.url}/api/v1/historical-price?currency=USD&timestamp={when}"
        row = requests.get(url).json()["prices"][0]
        assert row["time"] == when
        assert abs(row["USD"] / usd - 1) < 0.004


def test_blocks_fetched_over_rest_price_to_the_reference_result(node, index):
    reference = next(r for r in expected()["chains"][NAME]["results"] if r["mode"] == "date")
    with requests.Session() as s:
        raw = {
            b["height"]: s.get(f"{node.url}/rest/block/{b['hash']}.bin").content
            for b in index["blocks"]
        }
    source = MemoryChain(raw)
    result = price_day(source, source.fetch, dt.date.fromisoformat(reference["date"]))
    assert result.price == reference["price_exact"]
    assert (result.start, result.end) == (reference["block_start"], reference["block_end"])


def test_folder_problems_are_named(tmp_path: Path):
    with pytest.raises(SourceError, match=r"has no index\.json"):
        ServedChain.from_directory(tmp_path)
    folder = tmp_path / "copy"
    shutil.copytree(GOLDEN / NAME, folder)
    tampered = json.loads((folder / "index.json").read_text())
    tampered["blocks"][3]["hash"] = "00" * 32
    (folder / "index.json").write_text(json.dumps(tampered))
    with pytest.raises(SourceError, match=f"block {tampered['blocks'][3]['height']} in"):
        ServedChain.from_directory(folder)
    (folder / f"{tampered['blocks'][5]['height']}.bin.gz").unlink()
    with pytest.raises(SourceError, match="no block file for height"):
        ServedChain.from_directory(folder)
