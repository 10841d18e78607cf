"""Byte layout of one transaction shape: a fixed template plus the columns to fill.

All transactions of one shape (same inputs, outputs and witness sizes) have
the same length and put every field at the same offset. Laying the shape out
once lets a whole group be filled as an ``(k, size)`` matrix with a handful
of numpy assignments, which is what makes a 450k-transaction day cheap.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from chainprice.simchain.scripts import Blob, InputType, blob_len, compact_size


@dataclass(frozen=True)
class TxShape:
    inputs: tuple[InputType, ...]
    outputs: tuple[Blob, ...]
    version: int = 2

    @property
    def segwit(self) -> bool:
        """BIP144 serialization is only allowed (and used) when some input has a witness."""
        return any(inp.witness for inp in self.inputs)


@dataclass(frozen=True, eq=False)
class Template:
    """A shape's bytes and where its variable fields sit (offsets from the transaction start)."""

    data: np.ndarray
    """The transaction with zeros in every variable field."""
    const_cols: np.ndarray
    """Offsets of the fixed bytes (everything else is random or filled explicitly)."""
    txid_offsets: np.ndarray
    """Start of each input's previous txid (32 bytes each)."""
    vout_cols: np.ndarray
    """The 4 bytes of each input's previous output index, input after input."""
    value_cols: np.ndarray
    """The 8 bytes of every output value, output after output."""
    locktime_offset: int
    spans: np.ndarray
    """Non-witness serialization as three ``[start, end)`` ranges (what the txid hashes)."""
    n_outputs: int

    @property
    def size(self) -> int:
        return int(self.data.size)


class _Writer:
    """Appends a layout while remembering which bytes are fixed."""

    def __init__(self) -> None:
        self.buf = bytearray()
        self.fixed: list[tuple[int, int]] = []

    def const(self, data: bytes) -> None:
        self.fixed.append((len(self.buf), len(self.buf) + len(data)))
        self.buf += data

    def hole(self, n: int) -> None:
        self.buf += bytes(n)

    def blob(self, blob: Blob) -> None:
        for seg in blob:
            if isinstance(seg, int):
                self.hole(seg)
            else:
                self.const(seg)

    def sized_blob(self, blob: Blob) -> None:
        self.const(compact_size(blob_len(blob)))
        self.blob(blob)

    def piece(self) -> _Piece:
        fixed = np.zeros(len(self.buf), dtype=bool)
        for a, b in self.fixed:
            fixed[a:b] = True
        return _Piece(bytes(self.buf), fixed)


@dataclass(frozen=True, eq=False)
class _Piece:
    data: bytes
    fixed: np.ndarray


def _const_piece(data: bytes) -> _Piece:
    return _Piece(data, np.ones(len(data), dtype=bool))


@lru_cache
def _input_piece(inp: InputType) -> _Piece:
    """Previous txid (offset 0), previous index (offset 32), scriptSig, sequence."""
    w = _Writer()
    w.hole(32 + 4)
    w.sized_blob(inp.script_sig)
    w.const(inp.sequence.to_bytes(4, "little"))
    return w.piece()


@lru_cache
def _output_piece(script: Blob) -> _Piece:
    """Value (offset 0) and script."""
    w = _Writer()
    w.hole(8)
    w.sized_blob(script)
    return w.piece()


@lru_cache
def _witness_piece(inp: InputType) -> _Piece:
    w = _Writer()
    w.const(compact_size(len(inp.witness)))
    for item in inp.witness:
        w.sized_blob(item)
    return w.piece()


LOCKTIME_PIECE = _Piece(bytes(4), np.zeros(4, dtype=bool))


@lru_cache(maxsize=4096)
def template(shape: TxShape) -> Template:
    """Lay out ``shape`` from cached per-input and per-output pieces (shapes recur every block)."""
    n_in, n_out = len(shape.inputs), len(shape.outputs)
    marker = b"\x00\x01" if shape.segwit else b""
    lead = shape.version.to_bytes(4, "little") + marker + compact_size(n_in)
    pieces = [_const_piece(lead)]
    pieces += [_input_piece(inp) for inp in shape.inputs]
    pieces.append(_const_piece(compact_size(n_out)))
    pieces += [_output_piece(script) for script in shape.outputs]
    body_end = sum(len(p.data) for p in pieces)
    if shape.segwit:
        pieces += [_witness_piece(inp) for inp in shape.inputs]
    pieces.append(LOCKTIME_PIECE)
    starts = np.cumsum([0] + [len(p.data) for p in pieces[:-1]])
    size = int(starts[-1]) + 4
    txid_offsets = starts[1 : 1 + n_in]
    value_offsets = starts[2 + n_in : 2 + n_in + n_out]
    if shape.segwit:
        spans = [0, 4, 4 + len(marker), body_end, size - 4, size]
    else:
        spans = [0, size, 0, 0, 0, 0]
    return Template(
        data=np.frombuffer(b"".join(p.data for p in pieces), dtype=np.uint8),
        const_cols=np.flatnonzero(np.concatenate([p.fixed for p in pieces])),
        txid_offsets=txid_offsets,
        vout_cols=(txid_offsets[:, None] + 32 + np.arange(4)).reshape(-1),
        value_cols=(value_offsets[:, None] + np.arange(8)).reshape(-1),
        locktime_offset=size - 4,
        spans=np.asarray(spans, dtype=np.int64),
        n_outputs=n_out,
    )
