"""Hand-built transactions and blocks for unit tests of the filters.

Small and explicit on purpose: each test states the exact bytes that matter.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from chainprice.core.block_parser import RawBlock
from chainprice.core.sha256d import double_sha256, merkle_root
from chainprice.simchain.scripts import compact_size


@dataclass
class TxIn:
    prev_txid: bytes = b"\x11" * 32  # internal byte order
    vout: int = 0
    script: bytes = b""
    witness: list[bytes] = field(default_factory=list)


@dataclass
class TxOut:
    sats: int
    script: bytes = b"\x00\x14" + b"\x22" * 20


@dataclass
class Tx:
    inputs: list[TxIn]
    outputs: list[TxOut]
    segwit: bool = True
    version: int = 2
    locktime: int = 0

    def _body(self) -> bytes:
        out = compact_size(len(self.inputs))
        for i in self.inputs:
            out += i.prev_txid + i.vout.to_bytes(4, "little") + compact_size(len(i.script))
            out += i.script + b"\xff\xff\xff\xff"
        out += compact_size(len(self.outputs))
        for o in self.outputs:
            out += o.sats.to_bytes(8, "little") + compact_size(len(o.script)) + o.script
        return out

    def serialize(self) -> bytes:
        version = self.version.to_bytes(4, "little")
        locktime = self.locktime.to_bytes(4, "little")
        if not self.segwit:
            return version + self._body() + locktime
        witness = b""
        for i in self.inputs:
            witness += compact_size(len(i.witness))
            for item in i.witness:
                witness += compact_size(len(item)) + item
        return version + b"\x00\x01" + self._body() + witness + locktime

    @property
    def txid(self) -> bytes:
        version = self.version.to_bytes(4, "little")
        return double_sha256(version + self._body() + self.locktime.to_bytes(4, "little"))


def coinbase(height: int) -> Tx:
    push = height.to_bytes(4, "little")
    return Tx(
        [TxIn(b"\x00" * 32, 0xFFFFFFFF, bytes([len(push)]) + push)],
        [TxOut(625_000_000, b"\x51"), TxOut(0, b"\x6a\x24\xaa\x21\xa9\xed" + b"\x00" * 32)],
        segwit=False,
    )


def payment(sats: tuple[int, ...] = (50_000, 120_000), **kw) -> Tx:
    """A plain 1-input segwit payment that passes every filter."""
    return Tx([TxIn(witness=[b"\x30" * 71, b"\x02" * 33])], [TxOut(s) for s in sats], **kw)


def block(height: int, txs: list[Tx], prev: bytes = b"\x00" * 32, time: int = 1710500000) -> bytes:
    txids = np.frombuffer(b"".join(t.txid for t in txs), np.uint8).reshape(-1, 32)
    header = (
        (0x20000000).to_bytes(4, "little")
        + prev
        + merkle_root(txids)
        + time.to_bytes(4, "little")
        + (0x1D00FFFF).to_bytes(4, "little")
        + (0).to_bytes(4, "little")
    )
    return header + compact_size(len(txs)) + b"".join(t.serialize() for t in txs)


def chain(blocks_txs: list[list[Tx]], first_height: int = 830000) -> list[RawBlock]:
    """Consecutive linked blocks, one per list of transactions (a coinbase is prepended)."""
    out: list[RawBlock] = []
    prev = b"\x00" * 32
    for k, txs in enumerate(blocks_txs):
        height = first_height + k
        raw = block(height, [coinbase(height), *txs], prev, 1710500000 + 600 * k)
        prev = double_sha256(raw[:80])
        out.append(RawBlock(height, raw))
    return out
