"""docs/METHOD.md section 2 on hand-built transactions: each rule at its edge."""

from __future__ import annotations

import numpy as np
from txbuild import Tx, TxIn, TxOut, chain, payment

from chainprice.core import parse_blocks, recorded_amounts
from chainprice.core.output_filter import kept_transactions


def kept(blocks_txs: list[list[Tx]]) -> list[bool]:
    """Kept flag of every non-coinbase transaction, in order."""
    cols = parse_blocks(chain(blocks_txs))
    flags = kept_transactions(cols)
    return [bool(f) for f, cb in zip(flags, cols.is_coinbase, strict=True) if not cb]


def test_plain_payment_is_kept_and_coinbase_is_not() -> None:
    cols = parse_blocks(chain([[payment()]]))
    assert kept_transactions(cols).tolist() == [False, True]


def test_input_and_output_counts() -> None:
    five = Tx([TxIn(vout=k) for k in range(5)], [TxOut(10_000), TxOut(20_000)])
    six = Tx([TxIn(vout=k) for k in range(6)], [TxOut(10_000), TxOut(20_000)])
    one_out = Tx([TxIn()], [TxOut(10_000)])
    three_out = Tx([TxIn()], [TxOut(10_000)] * 3)
    assert kept([[five, six, one_out, three_out]]) == [True, False, False, False]


def test_zero_value_and_any_script_outputs_still_count_as_outputs() -> None:
    odd = Tx([TxIn()], [TxOut(0, b""), TxOut(50_000, b"\x51")])
    assert kept([[odd]]) == [True]


def test_op_return_only_when_a_non_empty_script_starts_with_0x6a() -> None:
    op_return = Tx([TxIn()], [TxOut(0, b"\x6a\x04abcd"), TxOut(50_000)])
    inner_6a = Tx([TxIn()], [TxOut(10_000, b"\x00\x6a"), TxOut(50_000)])
    empty = Tx([TxIn()], [TxOut(10_000, b""), TxOut(50_000)])
    assert kept([[op_return, inner_6a, empty]]) == [False, True, True]


def test_coinbase_marker_anywhere_in_the_inputs() -> None:
    marker = Tx([TxIn(), TxIn(b"\x00" * 32, 0xFFFFFFFF)], [TxOut(10_000), TxOut(20_000)])
    zero_index = Tx([TxIn(b"\x00" * 32, 0)], [TxOut(10_000), TxOut(20_000)])
    cols = parse_blocks(chain([[marker, zero_index]]))
    assert cols.is_coinbase.tolist() == [True, True, False]
    assert kept_transactions(cols).tolist() == [False, False, True]


def test_witness_limit_is_per_input_and_inclusive_at_500() -> None:
    def tx(*stacks: list[int]) -> Tx:
        inputs = [TxIn(vout=k, witness=[b"\x01" * n for n in s]) for k, s in enumerate(stacks)]
        return Tx(inputs, [TxOut(10_000), TxOut(20_000)], locktime=next(distinct))

    distinct = iter(range(1, 100))  # the witness is not in the txid: keep txids apart

    assert kept(
        [
            [
                tx([500]),  # one item of exactly 500: kept
                tx([501]),  # one item over 500
                tx([250, 250]),  # running total 500: kept
                tx([250, 251]),  # running total 501
                tx([300], [300]),  # 600 over the transaction, 300 per input: kept
                tx([100] * 6),  # 600 in small items
            ]
        ]
    ) == [True, False, True, False, True, False]


def test_legacy_transactions_have_no_witness_to_limit() -> None:
    legacy = Tx([TxIn(script=b"\x01" * 600)], [TxOut(10_000), TxOut(20_000)], segwit=False)
    assert kept([[legacy]]) == [True]


def test_same_window_spends_earlier_in_block_and_in_earlier_blocks() -> None:
    parent = payment((70_000, 80_000))
    child_same_block = Tx([TxIn(parent.txid, 1)], [TxOut(30_000), TxOut(40_000)])
    child_next_block = Tx([TxIn(parent.txid, 0)], [TxOut(31_000), TxOut(41_000)])
    outside = Tx([TxIn(b"\x42" * 32, 0)], [TxOut(32_000), TxOut(42_000)])
    assert kept([[parent, child_same_block], [child_next_block, outside]]) == [
        True,
        False,
        False,
        True,
    ]


def test_spending_a_later_transaction_of_the_window_is_not_a_same_window_spend() -> None:
    later = payment((70_000, 80_000), locktime=7)
    early = Tx([TxIn(later.txid, 0)], [TxOut(30_000), TxOut(40_000)])
    assert kept([[early, later]]) == [True, True]


def test_a_non_kept_parent_still_makes_its_child_a_same_window_spend() -> None:
    batch = Tx([TxIn()], [TxOut(10_000 + k) for k in range(5)])
    child = Tx([TxIn(batch.txid, 3)], [TxOut(30_000), TxOut(40_000)])
    assert kept([[batch, child]]) == [False, False]


def test_recorded_amounts_range_order_heights_and_times() -> None:
    txs = [
        payment((999, 1_000)),  # 1e-5 BTC itself is excluded: nothing recorded
        payment((1_001, 10**13)),  # 1e5 BTC is excluded: only 1001 sats
        payment((10**13 - 1, 2_500_000)),  # just under 1e5 BTC is kept
    ]
    blocks = chain([txs[:1], txs[1:]])
    amounts = recorded_amounts(parse_blocks(blocks))
    assert amounts.btc.tolist() == [1_001 / 1e8, (10**13 - 1) / 1e8, 2_500_000 / 1e8]
    assert amounts.height.tolist() == [830001] * 3
    time = int.from_bytes(blocks[1].data[68:72], "little")
    assert amounts.time.tolist() == [time] * 3
    assert amounts.btc.dtype == np.float64
