"""The verbose mempool answer: decoded fast by the client, written once per entry by node-sim.

The client's typed decoder must read exactly what ``json.loads`` reads
(entry time and whether ``depends`` is empty) from any well-formed answer,
and name a malformed one; node-sim's kept entry texts must stay equal to
freshly written ones while its mempool moves (children arrive, parents are
mined or replaced).
"""

from __future__ import annotations

import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from chainprice.adapters.node.errors import BadResponseError
from chainprice.adapters.node.mempool_listing import MempoolEntry, entries_from_verbose
from chainprice.adapters.node.verbose_mempool import decode_verbose, decode_verbose_rpc
from chainprice.nodesim.moving_mempool import MempoolFlow, MovingMempool
from chainprice.nodesim.rpc_methods import RpcMethods
from chainprice.nodesim.served_chain import ServedChain
from chainprice.simchain import compact_day, generate_chain

WHERE = "the answer"
txids = st.binary(min_size=32, max_size=32).map(bytes.hex)
other_fields = st.dictionaries(
    st.sampled_from(["vsize", "weight", "fees", "wtxid", "spentby", "unbroadcast"]),
    st.one_of(st.integers(), st.text(), st.booleans(), st.lists(st.integers(), max_size=3)),
)
entries = st.fixed_dictionaries(
    {"time": st.integers(0, 2**40), "depends": st.lists(txids, max_size=3)}
).flatmap(lambda must: other_fields.map(lambda extra: {**extra, **must}))
pools = st.dictionaries(txids, entries, max_size=20)


def _expected(pool: dict) -> list[MempoolEntry]:
    return [MempoolEntry(t, e["time"], bool(e["depends"])) for t, e in pool.items()]


@settings(max_examples=200)
@given(pools, st.integers(1, 99))
def test_typed_decoding_reads_what_json_reads(pool: dict, call_id: int) -> None:
    reply = {"result": pool, "error": None, "id": call_id}
    envelope = decode_verbose_rpc(json.dumps(reply).encode())
    assert envelope["error"] is None
    assert entries_from_verbose(envelope["result"], WHERE) == _expected(pool)
    rest = decode_verbose(json.dumps(pool, indent=1).encode(), WHERE)
    assert entries_from_verbose(rest, WHERE) == _expected(pool)


def test_an_error_reply_and_a_reply_without_result_keep_their_shape() -> None:
    error = {"code": -33, "message": "Mempool disabled"}
    body = json.dumps({"result": None, "error": error, "id": 1}).encode()
    assert decode_verbose_rpc(body) == {"result": None, "error": error}
    assert decode_verbose_rpc(b'{"error":null,"id":1}') == {"error": None}


@pytest.mark.parametrize(
    "entry",
    [{"depends": []}, {"time": "soon", "depends": []}, {"time": 1, "depends": "none"}, []],
)
def test_a_malformed_entry_is_named(entry) -> None:
    body = json.dumps({"result": {"ab" * 32: entry}, "error": None, "id": 1}).encode()
    with pytest.raises(BadResponseError, match="getrawmempool answer is malformed"):
        decode_verbose_rpc(body)
    with pytest.raises(BadResponseError, match=f"{WHERE} is malformed"):
        decode_verbose(json.dumps({"ab" * 32: entry}).encode(), WHERE)


def test_a_key_that_is_not_a_txid_is_named() -> None:
    pool = decode_verbose(b'{"nothex":{"time":1,"depends":[]}}', WHERE)
    with pytest.raises(BadResponseError, match="lists 'nothex', which is not a txid"):
        entries_from_verbose(pool, WHERE)


def test_a_cut_answer_is_not_json() -> None:
    body = json.dumps({"result": {"ab" * 32: {"time": 1, "depends": []}}}).encode()
    with pytest.raises(ValueError):
        decode_verbose_rpc(body[:-7])


def test_kept_entry_texts_equal_fresh_ones_while_the_mempool_moves() -> None:
    sim = generate_chain(compact_day())
    served = ServedChain.from_simulated(sim, 1500)
    flow = MempoolFlow(rate=400.0, replace_rate=0.2, max_size=1800, mine_every=2.0, seed=5)
    mover = MovingMempool(served, sim, flow, clock=lambda: 0.0)
    kept = RpcMethods(served)
    first_tip = served.tip
    with_parents = 0
    for second in range(1, 7):
        kept.raw_mempool(True, False)  # writes and keeps every entry's text
        mover.advance(now=float(second))
        with_parents += sum(1 for e in served.mempool if e.parents)
        assert kept.raw_mempool(True, False) == RpcMethods(served).raw_mempool(True, False)
    assert mover.replaced and mover.evicted and served.tip > first_tip
    assert with_parents > 0
    answer = json.loads(kept.raw_mempool(True, False).text)
    assert list(answer) == [e.tx.txid.hex() for e in served.mempool]
