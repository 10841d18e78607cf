"""The mempool estimate's pure computation: parsing, window, filters, same-window rule, price."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from txbuild import Tx, TxIn, TxOut, payment

from chainprice.core.errors import PriceError
from chainprice.core.mempool import (
    ConfirmedTxids,
    candidates,
    mempool_price,
    spends_any,
    window_bounds,
)
from chainprice.core.mempool_txs import TransactionParseError, concat_txs, parse_transactions
from chainprice.simchain import compact_day, generate_chain, generate_mempool

NO_CONFIRMED = ConfirmedTxids(np.empty((0, 32), np.uint8), np.empty(0, np.int64))


def _txid_rows(txs: list[Tx]) -> np.ndarray:
    return np.frombuffer(b"".join(t.txid for t in txs), np.uint8).reshape(-1, 32)


def _parse(txs: list[Tx], times: list[int], **kw) -> object:
    return parse_transactions([t.serialize() for t in txs], times, **kw)


def test_parse_reads_the_filter_facts_and_the_two_output_values() -> None:
    big_witness = Tx([TxIn(witness=[b"\x01" * 501])], [TxOut(1000), TxOut(2000)])
    op_return = Tx([TxIn()], [TxOut(0, b"\x6a\x01\x00"), TxOut(5000)])
    three = Tx([TxIn(vout=k) for k in range(6)], [TxOut(7), TxOut(8), TxOut(9)], segwit=False)
    txs = [payment((12_345, 67_890)), big_witness, op_return, three]
    got = _parse(txs, [10, 11, 12, 13], txids=[t.txid[::-1].hex() for t in txs])
    assert got.value.tolist() == [[12_345, 67_890], [1000, 2000], [0, 5000], [7, 8]]
    assert got.n_in.tolist() == [1, 1, 1, 6]
    assert got.n_out.tolist() == [2, 2, 2, 3]
    assert got.txid.tobytes() == _txid_rows(txs).tobytes()
    assert got.time.tolist() == [10, 11, 12, 13]
    in_window, passing = candidates(got, got.txid[:0], NO_CONFIRMED, 0, 100)
    assert in_window.all()
    assert passing.tolist() == [True, False, False, False]


def test_parse_refuses_a_truncated_transaction_or_a_wrong_txid_by_name() -> None:
    good, other = payment(), payment((1, 2))
    raw = good.serialize()
    with pytest.raises(TransactionParseError, match="#1"):
        parse_transactions([raw, raw[:-3]], [1, 2])
    with pytest.raises(TransactionParseError, match="not exactly one transaction"):
        split = other.serialize()
        parse_transactions([raw + split[:10], split[10:]], [1, 2])
    with pytest.raises(TransactionParseError, match="hashes to another txid"):
        parse_transactions([raw], [1], txids=[other.txid[::-1].hex()])


@settings(max_examples=40, deadline=None)
@given(st.binary(min_size=0, max_size=120))
def test_parse_never_crashes_on_garbage(data: bytes) -> None:
    try:
        got = parse_transactions([data], [0])
    except TransactionParseError:
        return
    assert got.size == 1


def test_window_is_the_newest_entry_and_the_hours_before_it() -> None:
    txs = [payment((10_000 + k, 20_000)) for k in range(4)]
    parsed = _parse(txs, [1000, 5000, 8000, 12_000])
    start, end = window_bounds(parsed.time, 3600)
    assert (start, end) == (8400, 12_000)
    in_window, _ = candidates(parsed, parsed.txid[:0], NO_CONFIRMED, start, end)
    assert in_window.tolist() == [False, False, False, True]
    with pytest.raises(PriceError, match="empty"):
        window_bounds(np.empty(0, np.int64), 3600)


def test_same_window_rule_drops_spends_of_mempool_depends_and_window_blocks() -> None:
    parent = payment((30_000, 40_000))
    in_mempool_child = Tx([TxIn(prev_txid=parent.txid)], [TxOut(1000), TxOut(2000)])
    confirmed_recent, confirmed_old = payment((1, 2)), payment((3, 4))
    recent_child = Tx([TxIn(prev_txid=confirmed_recent.txid)], [TxOut(1000), TxOut(2000)])
    old_child = Tx([TxIn(prev_txid=confirmed_old.txid)], [TxOut(1000), TxOut(2000)])
    said_parent = payment((5000, 6000))
    txs = [parent, in_mempool_child, recent_child, old_child, said_parent]
    parsed = _parse(txs, [100] * 5, has_parent=[False, False, False, False, True])
    confirmed = ConfirmedTxids(_txid_rows([confirmed_recent, confirmed_old]), np.array([50, 10]))
    _, passing = candidates(parsed, parsed.txid, confirmed, 40, 100)
    assert passing.tolist() == [True, False, False, True, False]


def test_spends_any_matches_full_txids_only() -> None:
    a = np.zeros((1, 32), np.uint8)
    same_prefix = a.copy()
    same_prefix[0, 31] = 1
    prev = np.concatenate([same_prefix, a])
    assert spends_any(prev, np.array([0, 1, 2]), a).tolist() == [False, True]
    assert spends_any(prev[:0], np.array([0, 0]), a).tolist() == [False]


def test_select_and_concat_keep_inputs_with_their_transactions() -> None:
    txs = [Tx([TxIn(vout=k) for k in range(n)], [TxOut(5), TxOut(6)]) for n in (1, 3, 2)]
    parsed = _parse(txs, [1, 2, 3])
    picked = parsed.select(np.array([True, False, True]))
    assert picked.in_start.tolist() == [0, 1, 3]
    assert picked.txid.tobytes() == _txid_rows([txs[0], txs[2]]).tobytes()
    first = np.array([True, False, False])
    back = concat_txs([parsed.select(first), parsed.select(~first)])
    assert back.prev_txid.tobytes() == parsed.prev_txid.tobytes()
    assert back.in_start.tolist() == parsed.in_start.tolist()


def test_price_of_a_simulated_mempool_is_near_the_planted_price() -> None:
    chain = generate_chain(compact_day())
    pool = generate_mempool(chain, 4000)
    parsed = parse_transactions(pool.txs, pool.times)
    result = mempool_price(parsed, parsed.txid, NO_CONFIRMED, chain.tip)
    assert abs(result.price / pool.price - 1) < 0.01
    assert result.counts.received == result.counts.in_window == 4000
    assert 0 < result.counts.passing < 4000
    assert result.points.time.min() >= result.window_start
    assert np.all(np.diff(result.points.time) >= 0)
    assert result.points.height.tolist() == [chain.tip + 1] * result.points.size


def test_no_passing_transaction_is_one_clear_error() -> None:
    op_return = Tx([TxIn()], [TxOut(0, b"\x6a"), TxOut(5000)])
    parsed = _parse([op_return], [5])
    with pytest.raises(PriceError, match="passes the filters"):
        mempool_price(parsed, parsed.txid, NO_CONFIRMED, 10)


def test_the_cli_window_default_is_the_engines() -> None:
    from chainprice.cli.mempool_command import WINDOW_HOURS
    from chainprice.core.mempool import DEFAULT_WINDOW_SECONDS

    assert WINDOW_HOURS * 3600 == DEFAULT_WINDOW_SECONDS
