"""Decode one serialized transaction and show it as Core's verbose JSON.

Only the verbose answers need this (``getblock <hash> 2``,
``getrawtransaction <txid> true``, REST ``.json``); raw answers are served
as stored bytes and never decoded.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from chainprice.core.sha256d import double_sha256
from chainprice.nodesim.jsonwire import Amount
from chainprice.nodesim.scripts import script_asm, script_pubkey_json

NULL_INDEX = 0xFFFFFFFF
WITNESS_SCALE = 4


@dataclass(frozen=True)
class TxIn:
    prev_txid: bytes
    """Internal byte order, as serialized."""
    vout: int
    script_sig: bytes
    sequence: int
    witness: tuple[bytes, ...]


@dataclass(frozen=True)
class TxOut:
    value: int
    script: bytes


@dataclass(frozen=True)
class Tx:
    raw: bytes
    version: int
    inputs: tuple[TxIn, ...]
    outputs: tuple[TxOut, ...]
    locktime: int
    txid: bytes
    """Display order (byte-reversed double SHA-256 of the non-witness serialization)."""
    wtxid: bytes
    """Display order, over the whole serialization."""
    stripped_size: int

    @property
    def size(self) -> int:
        return len(self.raw)

    @property
    def weight(self) -> int:
        return self.stripped_size * (WITNESS_SCALE - 1) + self.size

    @property
    def vsize(self) -> int:
        return (self.weight + WITNESS_SCALE - 1) // WITNESS_SCALE

    @property
    def is_coinbase(self) -> bool:
        return (
            len(self.inputs) == 1
            and self.inputs[0].vout == NULL_INDEX
            and self.inputs[0].prev_txid == bytes(32)
        )


class _Reader:
    def __init__(self, data: bytes, pos: int) -> None:
        self.data = data
        self.pos = pos

    def take(self, n: int) -> bytes:
        if self.pos + n > len(self.data):
            raise ValueError(f"transaction truncated at byte {self.pos}")
        out = self.data[self.pos : self.pos + n]
        self.pos += n
        return out

    def uint(self, n: int) -> int:
        return int.from_bytes(self.take(n), "little")

    def compact_size(self) -> int:
        first = self.uint(1)
        return self.uint({0xFD: 2, 0xFE: 4, 0xFF: 8}[first]) if first >= 0xFD else first

    def sized(self) -> bytes:
        return self.take(self.compact_size())


def decode_tx(data: bytes, pos: int = 0) -> tuple[Tx, int]:
    """The transaction serialized at ``data[pos:]`` and the offset just past it."""
    r = _Reader(data, pos)
    version = r.uint(4)
    segwit = data[r.pos : r.pos + 2] == b"\x00\x01"
    if segwit:
        r.pos += 2
    body_start = r.pos
    raw_inputs = [(r.take(32), r.uint(4), r.sized(), r.uint(4)) for _ in range(r.compact_size())]
    outputs = tuple(TxOut(r.uint(8), r.sized()) for _ in range(r.compact_size()))
    body_end = r.pos
    witnesses: list[tuple[bytes, ...]] = [()] * len(raw_inputs)
    if segwit:
        witnesses = [tuple(r.sized() for _ in range(r.compact_size())) for _ in raw_inputs]
    locktime = r.uint(4)
    raw = data[pos : r.pos]
    stripped = data[pos : pos + 4] + data[body_start:body_end] + data[r.pos - 4 : r.pos]
    inputs = tuple(
        TxIn(txid, vout, script, seq, wit)
        for (txid, vout, script, seq), wit in zip(raw_inputs, witnesses, strict=True)
    )
    tx = Tx(
        raw=raw,
        version=version,
        inputs=inputs,
        outputs=outputs,
        locktime=locktime,
        txid=double_sha256(stripped)[::-1],
        wtxid=double_sha256(raw)[::-1],
        stripped_size=len(stripped),
    )
    return tx, r.pos


def decode_block_txs(block: bytes) -> list[Tx]:
    """Every transaction of a raw block, in order."""
    r = _Reader(block, 80)
    count = r.compact_size()
    txs = []
    pos = r.pos
    for _ in range(count):
        tx, pos = decode_tx(block, pos)
        txs.append(tx)
    return txs


def _input_json(tx: Tx, txin: TxIn) -> dict[str, Any]:
    entry: dict[str, Any] = {}
    if tx.is_coinbase:
        entry["coinbase"] = txin.script_sig.hex()
    else:
        entry["txid"] = txin.prev_txid[::-1].hex()
        entry["vout"] = txin.vout
        entry["scriptSig"] = {
            "asm": script_asm(txin.script_sig, sighash_decode=True),
            "hex": txin.script_sig.hex(),
        }
    if txin.witness:
        entry["txinwitness"] = [item.hex() for item in txin.witness]
    entry["sequence"] = txin.sequence
    return entry


def tx_json(tx: Tx, block_hash: str | None = None) -> dict[str, Any]:
    """Core's ``TxToUniv`` with the hex included (no fee: the simulator keeps no undo data)."""
    entry: dict[str, Any] = {
        "txid": tx.txid.hex(),
        "hash": tx.wtxid.hex(),
        "version": tx.version,
        "size": tx.size,
        "vsize": tx.vsize,
        "weight": tx.weight,
        "locktime": tx.locktime,
        "vin": [_input_json(tx, txin) for txin in tx.inputs],
        "vout": [
            {"value": Amount(out.value), "n": n, "scriptPubKey": script_pubkey_json(out.script)}
            for n, out in enumerate(tx.outputs)
        ],
    }
    if block_hash is not None:
        entry["blockhash"] = block_hash
    entry["hex"] = tx.raw.hex()
    return entry
