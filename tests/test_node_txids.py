"""Txid lists without raw blocks: Core RPC ``getblock <hash> 1``, REST ``notxdetails`` and
Esplora ``/block/:hash/txids``, against node-sim over real loopback HTTP."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

from chainprice.adapters.node import BadResponseError, NodeChain, NodeConfig, open_source
from chainprice.core import parse_block
from chainprice.core.block_outputs import SPEND_LOOKBACK
from chainprice.nodesim import NodeSim, ServedChain
from chainprice.simchain import compact_day

KINDS = ("rpc", "rest", "esplora")
RAW_BLOCK_TARGETS = {"rpc": "getblock", "rest": "/rest/block/", "esplora": "/raw"}


@pytest.fixture(scope="module")
def node():
    chain = ServedChain.from_spec(replace(compact_day(), txs_per_block=12))
    with NodeSim(chain, rpc_password="p") as n:
        yield n


def chain_of(node: NodeSim, kind: str) -> NodeChain:
    url = node.esplora_url if kind == "esplora" else node.url
    config = NodeConfig(rpc_user="", rpc_password="p", backoff_base=0.005)
    return NodeChain(open_source(url, kind, config=config), workers=4)  # type: ignore[arg-type]


def raw_block_requests(node: NodeSim) -> int:
    """Requests for a block's raw bytes (``getblock`` at verbosity 0, ``.bin``, ``/raw``)."""
    return sum(
        (r.target == "getblock" and r.params[1] == 0)
        or (r.target.startswith("/rest/block/") and r.target.endswith(".bin"))
        or (r.protocol == "esplora" and r.target.endswith("/raw"))
        for r in node.request_log
    )


@pytest.mark.parametrize("kind", KINDS)
def test_txid_lists_equal_the_blocks_own_txids_and_read_no_block(node, kind) -> None:
    chain = chain_of(node, kind)
    start = node.chain.start_height + 5
    end = start + SPEND_LOOKBACK // 8
    want = [parse_block(h, b) for h, b in ((r.height, r.data) for r in chain.fetch(start, end))]
    node.clear_log()
    got = chain.txids(start, end)
    assert raw_block_requests(node) == 0
    assert len(node.request_log) >= end - start
    assert got.txid.dtype == np.uint8 and got.txid.shape[1] == 32
    assert got.height.tolist() == [b.height for b in want for _ in range(b.n_transactions)]
    assert np.array_equal(got.txid, np.concatenate([b.txid for b in want]))


@pytest.mark.parametrize("kind", KINDS)
def test_an_empty_range_gives_no_txids(node, kind) -> None:
    start = node.chain.start_height + 3
    got = chain_of(node, kind).txids(start, start)
    assert got.height.size == 0 and got.txid.shape == (0, 32)


def test_a_txid_list_that_misses_the_merkle_root_is_refused(node) -> None:
    chain = chain_of(node, "rest")
    start = node.chain.start_height + 1
    original = chain.source.block_txids
    chain.source.block_txids = lambda h: original(h)[1:]  # type: ignore[method-assign]
    with pytest.raises(BadResponseError, match=f"txid list of block {start} .*merkle root"):
        chain.txids(start, start + 2)
