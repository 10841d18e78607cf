"""Two real 2024 mainnet blocks: every txid, the merkle root, the header hash and the counts."""

from __future__ import annotations

import gzip
import json

import numpy as np
import pytest
from conftest import MAINNET, mainnet_block, mainnet_index

from chainprice.core import RawBlock, parse_blocks, recorded_amounts
from chainprice.core.output_filter import kept_transactions
from chainprice.core.sha256d import merkle_tree

BLOCKS = mainnet_index()["blocks"]
IDS = [str(b["height"]) for b in BLOCKS]


@pytest.fixture(scope="module", params=BLOCKS, ids=IDS)
def parsed(request: pytest.FixtureRequest):
    facts = request.param
    return facts, parse_blocks([RawBlock(facts["height"], mainnet_block(facts["height"]))])


def test_txids_and_hashes(parsed) -> None:
    facts, cols = parsed
    txids = (MAINNET / f"{facts['height']}.txids.txt").read_text().split()
    assert cols.txids_hex() == txids
    assert cols.block_hash_hex(0) == facts["hash"]
    root, mutated = merkle_tree(cols.txid)
    assert root[::-1].hex() == facts["header"]["merkle_root"] and not mutated
    assert int(cols.block_time[0]) == facts["time"]
    assert cols.n_bytes == facts["raw_block_bytes"]


def test_counts(parsed) -> None:
    facts, cols = parsed
    assert cols.n_transactions == facts["tx_count"]
    assert int(cols.tx_n_in.sum()) == facts["input_count"]
    assert int(cols.tx_n_out.sum()) == facts["output_count"]
    assert int(cols.out_value.sum()) == facts["total_output_value_sats"]
    assert int(cols.is_segwit.sum()) == facts["segwit_tx_count"]
    assert int(cols.is_coinbase.sum()) == 1 and bool(cols.is_coinbase[0])
    two_out = (cols.tx_n_out == 2) & (cols.tx_n_in <= 5)
    assert int(two_out.sum()) == facts["txs_2_outputs_le_5_inputs"]


def test_every_transaction_against_its_json(parsed) -> None:
    facts, cols = parsed
    with gzip.open(MAINNET / f"{facts['height']}.txs.jsonl.gz", "rt") as f:
        txs = [json.loads(line) for line in f]
    assert cols.tx_n_in.tolist() == [t["n_in"] for t in txs]
    assert cols.tx_n_out.tolist() == [t["n_out"] for t in txs]
    assert cols.is_segwit.tolist() == [t["segwit"] for t in txs]
    assert cols.is_coinbase.tolist() == [t["coinbase"] for t in txs]
    values = [v for t in txs for v in t["out_values"]]
    assert cols.out_value.tolist() == values
    op_return = [any(kind == "op_return" for kind in t["out_types"]) for t in txs]
    assert cols.has_op_return.tolist() == op_return


def test_price_filter_facts(parsed) -> None:
    facts, cols = parsed
    expected = facts["price_filter_facts"]
    assert int(kept_transactions(cols).sum()) == expected["kept_txs"]
    amounts = recorded_amounts(cols)
    got = list(
        zip(amounts.btc.tolist(), amounts.height.tolist(), amounts.time.tolist(), strict=True)
    )
    assert got == [tuple(a) for a in expected["recorded_amounts_btc_height_time"]]


def test_large_witness_flag_on_the_runestone_block() -> None:
    cols = parse_blocks([RawBlock(832947, mainnet_block(832947))])
    assert cols.has_large_witness.tolist() == [False, True]
    assert np.array_equal(kept_transactions(cols), [False, False])
