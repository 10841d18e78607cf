"""Mempool clients and the moving simulated mempool, over real loopback HTTP.

Each client follows the simulated node's mempool from refresh to refresh:
each transaction is fetched once while it stays, those mined, replaced or
evicted leave the window, mined blocks arrive with valid headers, and the
estimate stays near the planted price.
"""

from __future__ import annotations

import socket
import threading
from collections import Counter
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import numpy as np
import pytest

from chainprice.adapters.node import NodeChain, NodeConfig, open_source
from chainprice.adapters.node.mempool_listing import MempoolUnavailableError
from chainprice.adapters.node.mempool_tracker import MempoolTracker
from chainprice.cli.main import main
from chainprice.core import parse_block
from chainprice.core.errors import PriceError
from chainprice.core.mempool import mempool_price
from chainprice.nodesim import NodeSim, ServedChain
from chainprice.nodesim.moving_mempool import MempoolFlow, MovingMempool, bumped
from chainprice.nodesim.transactions import decode_tx
from chainprice.simchain import SimulatedChain, compact_day, generate_chain

KINDS = ("rpc", "rest", "esplora")
TX_FETCHES = {"rpc": "getrawtransaction", "rest": "/rest/tx/", "esplora": "/api/tx/"}


@pytest.fixture(scope="module")
def sim() -> SimulatedChain:
    return generate_chain(compact_day())


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def moving(sim: SimulatedChain) -> Iterator[tuple[NodeSim, MovingMempool, Clock]]:
    served = ServedChain.from_simulated(sim, 1500)
    clock = Clock()
    flow = MempoolFlow(rate=20.0, replace_rate=0.05, max_size=2500, mine_every=50.0, seed=3)
    mover = MovingMempool(served, sim, flow, clock=clock)
    with NodeSim(served, rpc_user="u", rpc_password="p") as node:
        yield node, mover, clock


def _source(node: NodeSim, kind: str):
    url = node.esplora_url if kind == "esplora" else node.url
    config = NodeConfig(rpc_user="u", rpc_password="p", backoff_base=0.005, retries=2)
    return open_source(url, kind, config=config)  # type: ignore[arg-type]


def _tx_fetches(node: NodeSim, kind: str) -> Counter[str]:
    fetched: Counter[str] = Counter()
    for r in node.request_log:
        if kind == "rpc" and r.target == TX_FETCHES["rpc"]:
            fetched[r.params[0]] += 1
        elif kind != "rpc" and r.target.startswith(TX_FETCHES[kind]):
            fetched[r.target.removeprefix(TX_FETCHES[kind])[:64]] += 1
    return fetched


@pytest.mark.parametrize("kind", KINDS)
def test_each_transaction_is_fetched_once_and_leavers_leave(kind: str, moving) -> None:
    node, mover, clock = moving
    served = node.chain
    tracker = MempoolTracker(_source(node, kind), clock=lambda: mover.sim_time())
    first = tracker.refresh()
    assert first.n_fetched == first.n_received == len(served.mempool)
    tip_before = served.tip
    for _ in range(3):
        clock.now += 30.0
        mover.advance()
        snap = tracker.refresh()
        listed = {e.tx.txid.hex() for e in served.mempool}
        assert set(snap.txs.txids_hex()) <= listed
        assert snap.n_received == len(listed)
    assert served.tip > tip_before  # blocks were mined meanwhile
    assert mover.replaced > 0 and mover.evicted > 0
    assert snap.n_gone > 0
    fetched = _tx_fetches(node, kind)
    assert max(fetched.values()) == 1  # fetched once while it stays
    result = mempool_price(
        snap.txs, snap.mempool_txids, snap.confirmed, snap.tip, n_received=snap.n_received
    )
    planted = mover.sim.planted_price(mover.sim_time())
    assert abs(result.price / planted - 1) < 0.02
    assert result.counts.passing <= result.counts.in_window <= result.counts.received


def test_core_entries_carry_time_and_depends_and_refresh_asks_only_new_entries(moving) -> None:
    node, mover, clock = moving
    source = _source(node, "rpc")
    entries = {e.txid: e for e in source.mempool_entries()}
    served = node.chain
    for entry in served.mempool:
        got = entries[entry.tx.txid.hex()]
        assert got.time == entry.time
        assert got.has_parent == bool(entry.parents)
    assert any(e.has_parent for e in entries.values())
    clock.now += 10.0
    mover.advance()
    node.clear_log()
    refreshed = source.mempool_entries(known=entries.keys())
    asked = [r.params[0] for r in node.request_log if r.target == "getmempoolentry"]
    assert set(asked) == {e.txid for e in refreshed if e.time is not None}
    assert set(asked).isdisjoint(entries)
    rest = {e.txid: e for e in _source(node, "rest").mempool_entries()}
    assert {t: (e.time, e.has_parent) for t, e in rest.items()} == {
        e.tx.txid.hex(): (e.time, bool(e.parents)) for e in served.mempool
    }


def test_mined_blocks_link_and_confirm_mempool_transactions(moving) -> None:
    node, mover, _ = moving
    served = node.chain
    tip = served.tip
    oldest = served.mempool[0].tx.txid.hex()
    height = mover.mine(mover.sim_time())
    assert height == tip + 1 == served.tip
    assert served.mempool_entry(oldest) is None
    assert served.find_confirmed(oldest)[0] == height
    for kind in KINDS:
        chain = NodeChain(_source(node, kind), verify=parse_block)
        assert chain.block_count() == height
        blocks = list(chain.iter_blocks(tip - 1, height + 1, parse_block))
        assert [b.height for b in blocks] == [tip - 1, tip, height]
        assert blocks[-1].prev_hash == blocks[-2].block_hash


def test_replacement_is_a_valid_transaction_with_a_higher_fee(sim: SimulatedChain) -> None:
    served = ServedChain.from_simulated(sim, 50)
    original = next(e.tx for e in served.mempool if e.tx.outputs[-1].value > 10_000)
    raw = bumped(original.raw)
    tx, end = decode_tx(raw)
    assert end == len(raw)
    assert tx.inputs == original.inputs
    assert tx.outputs[-1].value == original.outputs[-1].value - 1000
    assert tx.txid != original.txid


def test_growth_is_safe_under_concurrent_readers(moving) -> None:
    node, mover, clock = moving
    source = _source(node, "rpc")
    errors: list[Exception] = []
    stop = threading.Event()

    def read() -> None:
        while not stop.is_set():
            try:
                tip = source.tip_height()
                source.raw_block(source.block_hash(tip))
                source.mempool_entries()
            except Exception as exc:  # collected, asserted below
                errors.append(exc)

    readers = [threading.Thread(target=read) for _ in range(3)]
    for t in readers:
        t.start()
    for _ in range(5):
        clock.now += 50.0
        mover.advance()
    stop.set()
    for t in readers:
        t.join()
    assert errors == []
    assert node.chain.tip == node.chain.start_height + len(node.chain.blocks) - 1


def test_blocksonly_node_and_empty_mempool_are_one_clear_error(sim: SimulatedChain) -> None:
    served = ServedChain.from_simulated(sim, 0)
    with NodeSim(served, rpc_user="u", rpc_password="p") as node:
        tracker = MempoolTracker(_source(node, "rest"))
        snap = tracker.refresh()
        with pytest.raises(PriceError, match="the mempool is empty"):
            mempool_price(snap.txs, snap.mempool_txids, snap.confirmed, snap.tip)
        assert _source(node, "rpc").mempool_entries() == []
        served.relay = False
        with pytest.raises(MempoolUnavailableError, match="localrelay=false"):
            _source(node, "rpc").mempool_entries()


def test_tracker_restarts_from_saved_state_without_refetching(moving) -> None:
    node, mover, clock = moving
    source = _source(node, "rpc")
    saved = MempoolTracker(source).refresh().txs
    clock.now += 20.0
    mover.advance()
    node.clear_log()
    snap = MempoolTracker(source, state=saved).refresh()
    fetched = set(_tx_fetches(node, "rpc"))
    assert fetched.isdisjoint(saved.txids_hex())
    assert snap.n_fetched == len(fetched) > 0
    assert np.isin(snap.txs.time, saved.time).sum() >= saved.size - snap.n_gone


class _BrokenMempool(BaseHTTPRequestHandler):
    """Answers every request with a cut-short body, or drops the connection."""

    protocol_version = "HTTP/1.1"
    mode = "truncate"

    def log_message(self, format: str, *args: object) -> None:
        pass

    def do_GET(self) -> None:
        if self.mode == "drop":
            self.connection.shutdown(socket.SHUT_RDWR)
            return
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", "5000")
        self.end_headers()
        self.wfile.write(b'{"' + b"a" * 100)
        self.wfile.flush()
        self.connection.shutdown(socket.SHUT_RDWR)


@pytest.mark.parametrize(("mode", "message"), [("truncate", "cut short"), ("drop", "cannot reach")])
def test_a_node_cutting_or_dropping_mempool_answers_is_one_line(
    mode: str, message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    handler = type("Handler", (_BrokenMempool,), {"mode": mode})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True).start()
    try:
        url = f"http://127.0.0.1:{server.server_address[1]}"
        code = main(["mempool", "--node", url, "--source", "rest", "--retries", "1"])
    finally:
        server.shutdown()
        server.server_close()
    err = capsys.readouterr().err
    assert code == 2
    assert err.count("\n") == 1 and message in err


def test_lake_ingest_sees_mined_blocks_arrive(moving, tmp_path) -> None:
    from chainprice.adapters.storage import open_store
    from chainprice.lake.ingest import ingest

    node, mover, _ = moving
    store = open_store(str(tmp_path / "lake"))
    first = node.chain.start_height
    chain = NodeChain(_source(node, "rpc"), verify=parse_block)
    assert ingest(store, chain, start_height=first).last_height == node.chain.tip
    mined = [mover.mine(mover.sim_time()) for _ in range(2)]
    again = ingest(store, NodeChain(_source(node, "rest"), verify=parse_block))
    assert (again.first_height, again.last_height, again.blocks) == (mined[0], mined[1], 2)
