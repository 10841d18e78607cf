"""Every client against the simulated node over real loopback HTTP, with and without faults."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Iterator
from functools import cache
from pathlib import Path

import pytest
from conftest import GOLDEN, golden_chain, golden_results
from test_node_chain import assert_same_result, parse_one

from chainprice.adapters.exchange import ExchangePrices
from chainprice.adapters.node import (
    AuthError,
    BlockSource,
    NodeChain,
    NodeConfig,
    NotFoundError,
    open_source,
)
from chainprice.core import price_day
from chainprice.nodesim import FaultPlan, NodeSim, ServedChain
from chainprice.simchain import compact_day

KINDS = ("rest", "rpc", "esplora")
FAULTS = FaultPlan(error_rate=0.1, drop_rate=0.05, truncate_rate=0.05, seed=1)


def config(**settings: object) -> NodeConfig:
    base = {"rpc_user": "u", "rpc_password": "p", "backoff_base": 0.005, "timeout": 20.0}
    return NodeConfig(**{**base, **settings})


def source(node: NodeSim, kind: str, **settings: object) -> BlockSource:
    url = node.esplora_url if kind == "esplora" else node.url
    return open_source(url, kind, config=config(**settings))  # type: ignore[arg-type]


def block_requests(node: NodeSim) -> Counter[str]:
    """How many times each block hash was asked for, whatever the protocol."""
    asked: Counter[str] = Counter()
    for record in node.request_log:
        if record.protocol == "rpc" and record.target == "getblock":
            asked[record.params[0]] += 1
        elif record.protocol == "rest" and record.target.startswith("/rest/block/"):
            asked[record.target.removeprefix("/rest/block/").removesuffix(".bin")] += 1
        elif record.protocol == "esplora" and record.target.endswith("/raw"):
            asked[record.target.removeprefix("/api/block/").removesuffix("/raw")] += 1
    return asked


@pytest.fixture(scope="module")
def compact() -> ServedChain:
    return ServedChain.from_spec(compact_day())


@pytest.fixture(scope="module")
def golden() -> ServedChain:
    return ServedChain.from_directory(GOLDEN / "g1_42k")


@pytest.fixture
def golden_node(golden: ServedChain, tmp_path: Path) -> Iterator[NodeSim]:
    with NodeSim(golden, rpc_user="u", rpc_password="p", datadir=tmp_path) as node:
        yield node


@pytest.mark.parametrize("chain_name", ["golden", "compact"])
def test_every_source_serves_the_same_headers_and_blocks(
    chain_name: str, request: pytest.FixtureRequest, tmp_path: Path
) -> None:
    served: ServedChain = request.getfixturevalue(chain_name)
    first, tip = served.start_height, served.tip
    with NodeSim(served, rpc_user="u", rpc_password="p", datadir=tmp_path) as node:
        for kind in KINDS:
            chain = NodeChain(source(node, kind), workers=8)
            assert chain.block_count() == tip
            assert [chain.header(h) for h in range(first, tip + 1)] == [
                served.raw(h)[:80] for h in range(first, tip + 1)
            ]
            blocks = chain.fetch(first, tip + 1)
            assert [b.height for b in blocks] == list(range(first, tip + 1))
            assert all(b.data == served.raw(b.height) for b in blocks), kind
        # without faults every block was asked for exactly once per source
        assert set(block_requests(node).values()) == {len(KINDS)}
        assert len(block_requests(node)) == tip - first + 1


@cache
def served_golden(name: str) -> ServedChain:
    return ServedChain.from_directory(GOLDEN / name)


DAYS = [(name, r) for name, r in golden_results() if r["mode"] == "date"]


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize(("name", "ref"), DAYS, ids=[name for name, _ in DAYS])
def test_golden_days_price_exactly_as_from_block_files(
    name: str, ref: dict, kind: str, tmp_path: Path
) -> None:
    day = dt.date.fromisoformat(ref["date"])
    files = golden_chain(name)
    with NodeSim(served_golden(name), rpc_user="u", rpc_password="p", datadir=tmp_path) as node:
        node_source = source(node, kind)
        chain = NodeChain(node_source, verify=parse_one)
        result = price_day(chain, chain.fetch, day)
        blocks_asked = sum(block_requests(node).values())
    assert_same_result(result, price_day(files, files.fetch, day))
    assert result.price == ref["price_exact"]
    stats = node_source.stats.snapshot()
    assert stats["retries"] == 0
    # headers come in bulk (Esplora: ten a request); about ten requests find where the chain starts
    assert stats["requests"] - blocks_asked < (50 if kind == "esplora" else 20)


@pytest.mark.parametrize("kind", KINDS)
def test_a_day_prices_the_same_through_errors_drops_and_truncations(
    kind: str, golden: ServedChain, tmp_path: Path
) -> None:
    day = dt.date(2024, 3, 15)
    files = golden_chain("g1_42k")
    with NodeSim(golden, FAULTS, rpc_user="u", rpc_password="p", datadir=tmp_path) as node:
        node_source = source(node, kind, retries=8)
        chain = NodeChain(node_source, verify=parse_one, retries=5)
        result = price_day(chain, chain.fetch, day)
        faults = Counter(r.fault for r in node.request_log if r.fault)
    assert_same_result(result, price_day(files, files.fetch, day))
    stats = node_source.stats.snapshot()
    assert stats["retries"] > 0 and stats["rejected_blocks"] > 0
    assert {"drop", "truncate_short", "truncate_close"} <= set(faults)
    assert faults["error_503"] + faults["error_500"] > 0


def test_the_mempool_is_the_same_through_every_source(compact: ServedChain, tmp_path: Path) -> None:
    with NodeSim(compact, rpc_user="u", rpc_password="p", datadir=tmp_path) as node:
        pools = [sorted(source(node, kind).mempool_transactions()) for kind in KINDS]
    assert pools[0] == pools[1] == pools[2]
    assert len(pools[0]) == len(compact.mempool) > 0


def test_the_cookie_is_read_again_after_the_node_restarts(
    golden: ServedChain, tmp_path: Path
) -> None:
    with NodeSim(golden, datadir=tmp_path) as node:
        port, cookie = node.port, node.cookie_path
        rpc = source(node, "rpc", rpc_user=None, rpc_cookie=cookie)
        assert rpc.tip_height() == golden.tip
    with NodeSim(golden, datadir=tmp_path, port=port) as restarted:
        assert restarted.cookie_path == cookie
        assert rpc.tip_height() == golden.tip
        statuses = [r.status for r in restarted.request_log]
    assert statuses == [401, 200]


def test_wrong_credentials_and_missing_heights_are_clear_errors(golden_node: NodeSim) -> None:
    with pytest.raises(AuthError, match="refused the credentials"):
        source(golden_node, "rpc", rpc_password="wrong").tip_height()
    for kind in KINDS:
        with pytest.raises(NotFoundError):
            source(golden_node, kind).block_hash(golden_node.chain.tip + 1)


def test_exchange_prices_follow_the_last_row_at_or_before(golden_node: NodeSim) -> None:
    prices = ExchangePrices(golden_node.url + "/api", config())
    rows = prices.history(0, 2**32)
    assert len(rows) > 24 and rows == sorted(rows, key=lambda q: q.time)
    middle = rows[len(rows) // 2]
    assert prices.historical(middle.time) == prices.historical(middle.time + 3599) == middle
    assert prices.historical(middle.time - 1).time < middle.time
    with pytest.raises(NotFoundError, match="no USD price at or before"):
        prices.historical(rows[0].time - 1)
    assert prices.latest().usd > 0
