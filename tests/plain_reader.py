"""An independent, plain-Python reading of Bitcoin's block and transaction wire format.

It exists so the tests have something to check the compiled parser (``core``) and
the chain generator (``simchain``) against that shares no code with either: only
``hashlib`` and byte slicing, slow but obviously right. Keep it that way: importing
anything from the project here would let one bug hide on both sides of a test.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field

_MINIMAL = {0xFD: (2, 0xFD), 0xFE: (4, 0x10000), 0xFF: (8, 0x100000000)}


class NotAWellFormedBlock(ValueError):
    """The bytes given to the reader are not one valid, minimally encoded block."""


def sha256d(data: bytes) -> bytes:
    """Double SHA-256, via hashlib (independent of ``core.sha256d``)."""
    return hashlib.sha256(hashlib.sha256(data).digest()).digest()


def merkle(leaves: list[bytes]) -> bytes:
    """Bitcoin merkle root, the textbook way (the last node of an odd level is paired
    with itself)."""
    level = list(leaves)
    while len(level) > 1:
        if len(level) % 2:
            level.append(level[-1])
        level = [sha256d(level[i] + level[i + 1]) for i in range(0, len(level), 2)]
    return level[0]


def read_compact_size(data: bytes, p: int) -> tuple[int, int]:
    """(value, next offset) of the CompactSize at ``p``; refuses a cut-short or
    non-minimal encoding."""
    if p >= len(data):
        raise NotAWellFormedBlock(f"truncated CompactSize at {p}")
    first = data[p]
    if first < 0xFD:
        return first, p + 1
    width, least = _MINIMAL[first]
    if p + 1 + width > len(data):
        raise NotAWellFormedBlock(f"truncated CompactSize at {p}")
    value = int.from_bytes(data[p + 1 : p + 1 + width], "little")
    if value < least:
        raise NotAWellFormedBlock(f"non-minimal CompactSize at {p}")
    return value, p + 1 + width


@dataclass
class Tx:
    """One transaction as laid out in its block: ``data[start:end]`` is its serialization."""

    start: int
    end: int
    segwit: bool
    version: int
    prevouts: list[tuple[bytes, int]] = field(default_factory=list)  # (txid, vout)
    script_sigs: list[bytes] = field(default_factory=list)
    values: list[int] = field(default_factory=list)
    scripts: list[bytes] = field(default_factory=list)
    witness: list[list[bytes]] = field(default_factory=list)  # one stack per input
    txid: bytes = b""  # internal byte order
    wtxid: bytes = b""

    @property
    def n_in(self) -> int:
        return len(self.prevouts)

    @property
    def n_out(self) -> int:
        return len(self.values)


@dataclass
class Block:
    """A block's header and transactions, and where its structural fields are (the
    offsets a mutation test aims at)."""

    header: bytes
    txs: list[Tx]
    count_offsets: tuple[int, ...]  # every CompactSize: tx, input, output, witness counts, lengths
    witness_data: tuple[tuple[int, int], ...]  # [start, end) of witness item payloads

    @property
    def version(self) -> int:
        return int.from_bytes(self.header[0:4], "little")

    @property
    def prev(self) -> bytes:
        return self.header[4:36]

    @property
    def merkle_root(self) -> bytes:
        return self.header[36:68]

    @property
    def time(self) -> int:
        return int.from_bytes(self.header[68:72], "little")

    @property
    def bits(self) -> int:
        return int.from_bytes(self.header[72:76], "little")

    @property
    def nonce(self) -> int:
        return int.from_bytes(self.header[76:80], "little")


def _take(data: bytes, p: int, n: int) -> bytes:
    if p + n > len(data):
        raise NotAWellFormedBlock(f"truncated: {n} bytes wanted at {p}")
    return data[p : p + n]


def _read_tx(
    data: bytes, p: int, counts: list[int], witness_data: list[tuple[int, int]]
) -> tuple[Tx, int]:
    """The transaction at ``p`` and the offset after it; appends to ``counts`` the offset
    of each CompactSize and to ``witness_data`` each witness item's payload span."""
    start = p
    version = int.from_bytes(_take(data, p, 4), "little")
    segwit = data[p + 4 : p + 6] == b"\x00\x01"
    p += 6 if segwit else 4
    body = p
    tx = Tx(start=start, end=start, segwit=segwit, version=version)
    counts.append(p)
    n_in, p = read_compact_size(data, p)
    for _ in range(n_in):
        prev = _take(data, p, 36)
        tx.prevouts.append((prev[:32], int.from_bytes(prev[32:], "little")))
        counts.append(p + 36)
        slen, p = read_compact_size(data, p + 36)
        tx.script_sigs.append(_take(data, p, slen))
        _take(data, p + slen, 4)  # nSequence
        p += slen + 4
    counts.append(p)
    n_out, p = read_compact_size(data, p)
    if n_out == 0:
        raise NotAWellFormedBlock(f"transaction at {start} has no outputs")
    for _ in range(n_out):
        tx.values.append(int.from_bytes(_take(data, p, 8), "little"))
        counts.append(p + 8)
        slen, p = read_compact_size(data, p + 8)
        tx.scripts.append(_take(data, p, slen))
        p += slen
    body_end = p
    if segwit:
        for _ in range(n_in):
            counts.append(p)
            n_items, p = read_compact_size(data, p)
            stack = []
            for _ in range(n_items):
                counts.append(p)
                ilen, p = read_compact_size(data, p)
                stack.append(_take(data, p, ilen))
                witness_data.append((p, p + ilen))
                p += ilen
            tx.witness.append(stack)
        if not any(tx.witness):
            raise NotAWellFormedBlock(f"segwit transaction at {start} has no witness")
    locktime = _take(data, p, 4)
    p += 4
    tx.end = p
    tx.txid = sha256d(data[start : start + 4] + data[body:body_end] + locktime)
    tx.wtxid = sha256d(data[start:p])
    return tx, p


def read_block(data: bytes | bytearray | memoryview) -> Block:
    """Every field of one block; ``data`` must be exactly one well-formed block."""
    data = bytes(data)
    header = _take(data, 0, 80)
    counts: list[int] = [80]
    witness_data: list[tuple[int, int]] = []
    n_tx, p = read_compact_size(data, 80)
    txs = []
    for _ in range(n_tx):
        tx, p = _read_tx(data, p, counts, witness_data)
        txs.append(tx)
    if p != len(data):
        raise NotAWellFormedBlock(f"trailing bytes at {p}: not exactly one block")
    return Block(header, txs, tuple(counts), tuple(witness_data))


def read_tx(raw: bytes | bytearray | memoryview) -> Tx:
    """One transaction on its own; ``raw`` must be exactly one well-formed transaction."""
    raw = bytes(raw)
    tx, end = _read_tx(raw, 0, [], [])
    if end != len(raw):
        raise NotAWellFormedBlock(f"trailing bytes at {end}: not exactly one transaction")
    return tx
