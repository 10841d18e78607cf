"""Core REST, Esplora and the price API of the simulated node, over real loopback HTTP."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import requests

from chainprice.nodesim import NodeSim, ServedChain
from chainprice.nodesim.prices import CURRENCIES, NO_DATA_TIME, NOISE
from chainprice.simchain import PricePath, compact_day

TEXT = "text/plain"


@pytest.fixture(scope="module")
def chain() -> ServedChain:
    return ServedChain.from_spec(compact_day())


@pytest.fixture(scope="module")
def node(chain: ServedChain) -> Iterator[NodeSim]:
    with NodeSim(chain, rpc_user="u", rpc_password="p") as running:
        yield running


@pytest.fixture(scope="module")
def get(node: NodeSim) -> Iterator:
    with requests.Session() as session:
        yield lambda path: session.get(node.url + path)


def rpc(node: NodeSim, method: str, *params) -> object:
    reply = requests.post(
        node.url, json={"method": method, "params": list(params), "id": 1}, auth=("u", "p")
    )
    return reply.json()["result"]


# --- Core REST -------------------------------------------------------------------------------


def test_rest_block_in_three_formats(get, node, chain):
    height = chain.start_height + 4
    block_hash = chain.block_hash(height)
    binary = get(f"/rest/block/{block_hash}.bin")
    assert binary.headers["Content-Type"] == "application/octet-stream"
    assert binary.content == chain.raw(height)
    hexed = get(f"/rest/block/{block_hash}.hex")
    assert hexed.headers["Content-Type"] == TEXT
    assert hexed.text == chain.raw(height).hex() + "\n"
    verbose = get(f"/rest/block/{block_hash}.json")
    assert verbose.headers["Content-Type"] == "application/json"
    assert verbose.json()["tx"][0]["vin"][0]["coinbase"]
    light = get(f"/rest/block/notxdetails/{block_hash}.json").json()
    assert light == rpc(node, "getblock", block_hash, 1)


@pytest.mark.parametrize(
    ("path", "status", "body"),
    [
        ("/rest/block/{unknown}.bin", 404, "{unknown} not found\r\n"),
        ("/rest/block/xyz.bin", 400, "Invalid hash: xyz\r\n"),
        ("/rest/block/{tip}", 404, "output format not found (available: .bin, .hex, .json)\r\n"),
        ("/rest/block/{tip}.xml", 400, "Invalid hash: {tip}.xml\r\n"),
        ("/rest/headers/{tip}.bin?count=0", 400, None),
        ("/rest/headers/{tip}.bin?count=2001", 400, None),
        ("/rest/headers/a/b/c.bin", 400, None),
        ("/rest/blockhashbyheight/abc.bin", 400, "Invalid height: abc\r\n"),
        ("/rest/blockhashbyheight/99999999.bin", 404, "Block height out of range\r\n"),
        ("/rest/chaininfo.bin", 404, "output format not found (available: json)\r\n"),
        ("/rest/mempool/other.json", 400, None),
        ("/rest/tx/{unknown}.hex", 404, "{unknown} not found\r\n"),
    ],
)
def test_rest_errors_are_plain_text_with_cores_statuses(get, chain, path, status, body):
    fill = {"unknown": "ab" * 32, "tip": chain.tip_hash}
    reply = get(path.format(**fill))
    assert reply.status_code == status
    assert reply.headers["Content-Type"] == TEXT
    assert reply.text.endswith("\r\n")
    if body:
        assert reply.text == body.format(**fill)


def test_unknown_rest_path_is_an_empty_404(get):
    reply = get("/rest/nothing-here")
    assert reply.status_code == 404 and reply.content == b""


def test_rest_headers_new_and_legacy_paths(get, node, chain):
    first = chain.block_hash(chain.start_height)
    expected = b"".join(
        chain.raw(h)[:80] for h in range(chain.start_height, chain.start_height + 7)
    )
    assert get(f"/rest/headers/{first}.bin?count=7").content == expected
    assert get(f"/rest/headers/7/{first}.bin").content == expected
    assert get(f"/rest/headers/{first}.hex?count=7").text == expected.hex() + "\n"
    assert len(get(f"/rest/headers/{first}.bin").content) == 5 * 80
    as_json = get(f"/rest/headers/{first}.json?count=3").json()
    assert as_json == [rpc(node, "getblockheader", h) for h in chain.hashes[:3]]
    near_tip = get(f"/rest/headers/{chain.block_hash(chain.tip - 1)}.bin?count=2000")
    assert len(near_tip.content) == 2 * 80
    unknown = get(f"/rest/headers/{'cd' * 32}.json?count=3")
    assert unknown.status_code == 200 and unknown.json() == []


def test_rest_blockhashbyheight(get, chain):
    height = chain.start_height + 9
    block_hash = chain.block_hash(height)
    assert get(f"/rest/blockhashbyheight/{height}.bin").content == bytes.fromhex(block_hash)[::-1]
    assert get(f"/rest/blockhashbyheight/{height}.hex").text == block_hash + "\n"
    assert get(f"/rest/blockhashbyheight/{height}.json").json() == {"blockhash": block_hash}


def test_rest_chaininfo_and_mempool(get, node, chain):
    assert get("/rest/chaininfo.json").json() == rpc(node, "getblockchaininfo")
    assert get("/rest/mempool/info.json").json() == rpc(node, "getmempoolinfo")
    assert get("/rest/mempool/contents.json").json() == rpc(node, "getrawmempool", True)
    assert get("/rest/mempool/contents.json?verbose=false").json() == rpc(node, "getrawmempool")
    sequenced = get("/rest/mempool/contents.json?verbose=false&mempool_sequence=true").json()
    assert sequenced["txids"] == rpc(node, "getrawmempool")
    assert get("/rest/mempool/contents.json?mempool_sequence=true").status_code == 400
    assert get("/rest/mempool/contents.json?verbose=yes").text == (
        'The "verbose" query parameter must be either "true" or "false".\r\n'
    )


def test_rest_tx_serves_mempool_transactions_only(get, chain):
    entry = chain.mempool[5]
    txid = entry.tx.txid.hex()
    assert get(f"/rest/tx/{txid}.bin").content == entry.tx.raw
    assert get(f"/rest/tx/{txid}.hex").text == entry.tx.raw.hex() + "\n"
    assert get(f"/rest/tx/{txid}.json").json()["txid"] == txid
    confirmed = chain.stats(chain.start_height).txids[1]
    assert get(f"/rest/tx/{confirmed}.bin").status_code == 404


# --- Esplora ---------------------------------------------------------------------------------


def test_esplora_tip_and_heights(get, chain):
    height = get("/api/blocks/tip/height")
    assert height.text == str(chain.tip) and height.headers["Content-Type"] == TEXT
    assert get("/api/blocks/tip/hash").text == chain.tip_hash
    middle = chain.start_height + 50
    assert get(f"/api/block-height/{middle}").text == chain.block_hash(middle)
    past = get(f"/api/block-height/{chain.tip + 1}")
    assert (past.status_code, past.text) == (404, "Block not found")
    bad = get("/api/block-height/ten")
    assert (bad.status_code, bad.text) == (400, "Invalid number")


def test_esplora_block_endpoints(get, chain):
    height = chain.start_height + 30
    block_hash = chain.block_hash(height)
    value = get(f"/api/block/{block_hash}").json()
    header = chain.header(height)
    assert value == {
        "id": block_hash,
        "height": height,
        "version": header.version,
        "timestamp": header.time,
        "tx_count": chain.n_tx(height),
        "size": len(chain.raw(height)),
        "weight": chain.stats(height).weight,
        "merkle_root": header.merkle_root,
        "previousblockhash": header.prev_hash,
        "mediantime": chain.median_time(height),
        "nonce": header.nonce,
        "bits": header.bits,
        "difficulty": value["difficulty"],
    }
    assert get(f"/api/block/{block_hash}/header").text == chain.raw(height)[:80].hex()
    raw = get(f"/api/block/{block_hash}/raw")
    assert raw.headers["Content-Type"] == "application/octet-stream"
    assert raw.content == chain.raw(height)
    assert get(f"/api/block/{block_hash}/txids").json() == chain.stats(height).txids
    assert get(f"/api/block/{block_hash}/txid/1").text == chain.stats(height).txids[1]
    assert get(f"/api/block/{block_hash}/status").json() == {
        "in_best_chain": True,
        "height": height,
        "next_best": chain.block_hash(height + 1),
    }
    assert get(f"/api/block/{chain.tip_hash}/status").json()["next_best"] is None


def test_esplora_block_errors(get):
    unknown = "ef" * 32
    assert (get(f"/api/block/{unknown}").status_code, get(f"/api/block/{unknown}").text) == (
        404,
        "Block not found",
    )
    assert get(f"/api/block/{unknown}/raw").status_code == 404
    assert get(f"/api/block/{unknown}/status").json() == {
        "in_best_chain": False,
        "height": None,
        "next_best": None,
    }
    bad = get("/api/block/nothex/header")
    assert (bad.status_code, bad.text) == (400, "Invalid hex string")
    nowhere = get("/api/nowhere")
    assert (nowhere.status_code, nowhere.text) == (404, 'endpoint does not exist "/nowhere"')


def test_esplora_block_lists_go_down_from_a_height(get, chain):
    latest = get("/api/blocks").json()
    assert [b["height"] for b in latest] == list(range(chain.tip, chain.tip - 10, -1))
    older = get(f"/api/blocks/{chain.start_height + 3}").json()
    assert [b["height"] for b in older] == list(
        range(chain.start_height + 3, chain.start_height - 1, -1)
    )
    assert get(f"/api/blocks/{chain.tip + 5}").status_code == 404


def test_esplora_mempool_and_transactions(get, chain):
    summary = get("/api/mempool").json()
    assert summary["count"] == len(chain.mempool)
    assert summary["vsize"] == sum(e.tx.vsize for e in chain.mempool)
    assert sum(size for _, size in summary["fee_histogram"]) == summary["vsize"]
    assert get("/api/mempool/txids").json() == [e.tx.txid.hex() for e in chain.mempool]
    assert len(get("/api/mempool/recent").json()) == 10
    entry = chain.mempool[0]
    txid = entry.tx.txid.hex()
    assert get(f"/api/tx/{txid}/raw").content == entry.tx.raw
    assert get(f"/api/tx/{txid}/hex").text == entry.tx.raw.hex()
    assert get(f"/api/tx/{txid}/status").json() == {"confirmed": False}
    height = chain.start_height + 2
    confirmed = chain.stats(height).txids[4]
    start, end = chain.stats(height).tx_bounds[4]
    assert get(f"/api/tx/{confirmed}/raw").content == chain.raw(height)[start:end]
    assert get(f"/api/tx/{confirmed}/status").json() == {
        "confirmed": True,
        "block_height": height,
        "block_hash": chain.block_hash(height),
        "block_time": chain.header(height).time,
    }
    assert get(f"/api/tx/{'12' * 32}/hex").text == "Transaction not found"


# --- mempool.space prices --------------------------------------------------------------------


def test_latest_price_is_the_planted_price_at_the_tip_within_the_noise(get, chain):
    reply = get("/api/v1/prices")
    assert reply.headers["Content-Type"] == "application/json; charset=utf-8"
    prices = reply.json()
    assert list(prices) == ["time", *CURRENCIES]
    assert all(isinstance(v, int) for v in prices.values())
    assert prices["time"] == chain.times[-1]
    planted = compact_chain_price(chain.times[-1])
    assert abs(prices["USD"] / planted - 1) <= NOISE + 1e-5
    assert prices["EUR"] < prices["USD"] < prices["JPY"]


def compact_chain_price(unix_time: int) -> float:
    return float(PricePath.from_spec(compact_day())(unix_time))


def test_historical_price_is_the_last_row_at_or_before_the_timestamp(get, chain):
    rows = get("/api/v1/historical-price").json()["prices"]
    times = [r["time"] for r in rows]
    assert times == sorted(times, reverse=True)
    assert all(t % 3600 == 0 for t in times[1:])
    assert times[0] == chain.times[-1]
    hour = times[5]
    on_row = get(f"/api/v1/historical-price?currency=USD&timestamp={hour}").json()
    assert on_row["prices"] == [{"time": hour, "USD": rows[5]["USD"]}]
    between = get(f"/api/v1/historical-price?currency=USD&timestamp={hour + 3599}").json()
    assert between["prices"] == [{"time": hour, "USD": rows[5]["USD"]}]
    euro = get(f"/api/v1/historical-price?currency=EUR&timestamp={hour}").json()
    assert euro["prices"] == [{"time": hour, "EUR": rows[5]["EUR"], "USD": rows[5]["USD"]}]
    assert set(euro["exchangeRates"]) == {f"USD{c}" for c in CURRENCIES[1:]}
    assert euro["exchangeRates"]["USDEUR"] == 0.92


def test_historical_price_before_the_first_row_and_odd_parameters(get):
    before = get("/api/v1/historical-price?currency=USD&timestamp=1000").json()
    assert before["prices"] == [{"time": NO_DATA_TIME, "USD": 0}]
    assert get("/api/v1/historical-price?timestamp=1000").json()["prices"] == []
    unknown = get("/api/v1/historical-price?currency=XYZ&timestamp=1000")
    assert unknown.status_code == 200 and unknown.content == b""
    everything = get("/api/v1/historical-price?timestamp=junk").json()["prices"]
    assert len(everything) > 1 and list(everything[0]) == ["time", *CURRENCIES]
