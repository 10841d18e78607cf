"""Everything the simulated node serves: blocks, their index, a mempool and exchange prices.

Built from a ``ChainSpec`` (generated here), an already generated
``SimulatedChain``, or a folder in the golden-data layout. Raw blocks stay
as the bytes a real node stores; what answers derive from them (hex,
transaction ids, sizes) is computed on first use and kept, because the same
block is asked for again and a full-size day is too big to prepare eagerly.
"""

from __future__ import annotations

import binascii
import gzip
import hashlib
import itertools
import json
import threading
from collections.abc import Collection, Iterable
from dataclasses import dataclass, replace
from functools import cached_property
from pathlib import Path
from typing import Any

import numpy as np

from chainprice.core.block_parser import parse_block
from chainprice.core.errors import SourceError
from chainprice.core.sha256d import double_sha256
from chainprice.nodesim.headers import Header, block_proof, median_time_past
from chainprice.nodesim.prices import PriceFeed
from chainprice.nodesim.transactions import Tx, decode_tx
from chainprice.simchain import ChainSpec, SimulatedChain, generate_chain, generate_mempool

DEFAULT_MEMPOOL_SIZE = 300


@dataclass(frozen=True)
class BlockStats:
    """What a block's verbose answers need beyond its header."""

    txids: list[str]
    """Display hex, in block order."""
    tx_bounds: np.ndarray
    """``(n, 2)`` start and end offset of each transaction in the raw block."""
    size: int
    stripped_size: int

    @property
    def weight(self) -> int:
        return self.stripped_size * 3 + self.size


@dataclass(frozen=True)
class MempoolEntry:
    tx: Tx
    time: int
    fee: int
    """Satoshis; the simulator invents it (1 to 41 sat/vB), as inputs' values are unknown."""
    height: int
    """The tip's height when the transaction arrived."""
    parents: tuple[str, ...]
    """Txids of the unconfirmed transactions it spends."""


def _fee(tx: Tx) -> int:
    rate_centi = 100 + int.from_bytes(hashlib.blake2b(tx.txid, digest_size=4).digest()) % 4000
    return -(-tx.vsize * rate_centi // 100)


def _block_stats(raw: bytes, height: int) -> BlockStats:
    """Txids and sizes from the engine's own parser (the spans are each txid's hashed bytes)."""
    parsed = parse_block(height, raw)
    spans = parsed.walk.spans
    non_witness = (spans[:, 1::2] - spans[:, 0::2]).sum()
    return BlockStats(
        txids=[row[::-1].tobytes().hex() for row in parsed.txid],
        tx_bounds=np.column_stack([spans[:, 0], np.maximum(spans[:, 1], spans[:, 5])]),
        size=len(raw),
        stripped_size=int(spans[0, 0]) + int(non_witness),
    )


class ServedChain:
    """A contiguous run of raw blocks from ``start_height``, with a mempool and price rows."""

    def __init__(
        self,
        start_height: int,
        blocks: list[bytes],
        mempool: Iterable[tuple[bytes, int]],
        prices: PriceFeed,
    ) -> None:
        if not blocks:
            raise SourceError("a served chain needs at least one block")
        self.start_height = start_height
        self.network = "main"
        """Core's chain name (``getblockchaininfo.chain``): main, test, signet or regtest."""
        self.blocks = blocks
        self.headers: list[Header] = []
        self.hashes: list[str] = []
        for i, raw in enumerate(blocks):
            if len(raw) < 81:
                raise SourceError(f"block {start_height + i} is shorter than a header")
            header = Header.parse(raw)
            if self.hashes and header.prev_hash != self.hashes[-1]:
                raise SourceError(f"block {start_height + i} does not link to the block below it")
            self.headers.append(header)
            self.hashes.append(double_sha256(raw[:80])[::-1].hex())
        self._height_of = {h: start_height + i for i, h in enumerate(self.hashes)}
        self.times = [h.time for h in self.headers]
        below = block_proof(self.headers[0].bits) * start_height
        self._chainwork = list(
            itertools.accumulate((block_proof(h.bits) for h in self.headers), initial=below)
        )[1:]
        self.prices = prices
        self.relay = True
        """False for a ``-blocksonly`` node: it relays no transactions (``localrelay``)."""
        self.mempool: list[MempoolEntry] = []
        self._mempool_by_txid: dict[str, MempoolEntry] = {}
        self._children: dict[str, list[str]] = {}
        self._growth = threading.Lock()
        self.add_to_mempool(mempool)
        self._hex: dict[int, bytes] = {}
        self._stats: dict[int, BlockStats] = {}
        self._confirmed: dict[str, tuple[int, int]] | None = None
        self._lock = threading.Lock()

    def _mempool_entries(
        self, txs: Iterable[tuple[bytes, int]], pool: Collection[str]
    ) -> list[MempoolEntry]:
        """Decoded entries; an input spending an entry of ``pool`` or an earlier one of
        ``txs`` makes that entry a parent."""
        entries: list[MempoolEntry] = []
        seen: set[str] = set()
        for n, (raw, time) in enumerate(txs):
            try:
                tx, end = decode_tx(raw)
            except ValueError as err:
                raise SourceError(f"mempool transaction {n} is malformed: {err}") from None
            if end != len(raw):
                raise SourceError(f"mempool transaction {n} has bytes after its end")
            spent = dict.fromkeys(i.prev_txid[::-1].hex() for i in tx.inputs)
            parents = tuple(t for t in spent if t in seen or t in pool)
            entries.append(MempoolEntry(tx, int(time), _fee(tx), self.tip, parents))
            seen.add(tx.txid.hex())
        return entries

    @classmethod
    def from_spec(cls, spec: ChainSpec, mempool_size: int = DEFAULT_MEMPOOL_SIZE) -> ServedChain:
        return cls.from_simulated(generate_chain(spec), mempool_size)

    @classmethod
    def from_simulated(
        cls, chain: SimulatedChain, mempool_size: int = DEFAULT_MEMPOOL_SIZE
    ) -> ServedChain:
        pool = generate_mempool(chain, mempool_size)
        tip_time = int(chain.times[-1])
        prices = PriceFeed.hourly_from(chain.planted_price, int(chain.times.min()), tip_time)
        return cls(
            chain.start_height,
            chain.blocks,
            zip(pool.txs, pool.times.tolist(), strict=True),
            prices,
        )

    @classmethod
    def from_directory(cls, folder: str | Path) -> ServedChain:
        """A golden-layout folder: ``index.json``, ``<height>.bin[.gz]``, ``mempool.json``."""
        folder = Path(folder)
        if not (folder / "index.json").exists():
            raise SourceError(f"{folder} has no index.json (not a golden-layout chain)")
        index = _load_json(folder / "index.json")
        try:
            entries = index["blocks"]
            blocks = [_read_block(folder, int(e["height"])) for e in entries]
            mempool_file = folder / "mempool.json"
            txs = _load_json(mempool_file)["txs"] if mempool_file.exists() else []
            chain_mempool = [(bytes.fromhex(t["hex"]), int(t["time"])) for t in txs]
            tip_time = int(entries[-1]["time"])
            hourly = [(int(t), float(usd)) for t, usd in index.get("price_hourly", [])]
        except (KeyError, IndexError, TypeError, ValueError, OSError) as err:
            raise SourceError(f"{folder} is not a golden-layout chain: {err!r}") from None
        if not hourly:
            raise SourceError(f"{folder / 'index.json'} has no price_hourly rows")
        latest = [usd for t, usd in hourly if t <= tip_time][-1:] or [hourly[0][1]]
        prices = PriceFeed(hourly, (tip_time, latest[0]))
        chain = cls(int(entries[0]["height"]), blocks, chain_mempool, prices)
        for e, served in zip(entries, chain.hashes, strict=True):
            if e["hash"] != served:
                raise SourceError(
                    f"block {e['height']} in {folder} hashes to {served}, not {e['hash']}"
                )
        return chain

    @property
    def tip(self) -> int:
        return self.start_height + len(self.blocks) - 1

    @property
    def tip_hash(self) -> str:
        return self.hashes[-1]

    def height_of(self, block_hash: str) -> int | None:
        return self._height_of.get(block_hash.lower())

    def has_height(self, height: int) -> bool:
        return self.start_height <= height <= self.tip

    def raw(self, height: int) -> bytes:
        return self.blocks[height - self.start_height]

    def header(self, height: int) -> Header:
        return self.headers[height - self.start_height]

    def block_hash(self, height: int) -> str:
        return self.hashes[height - self.start_height]

    def hex(self, height: int) -> bytes:
        """The block as ASCII hex, made once (every hex answer reuses it)."""
        cached = self._hex.get(height)
        if cached is None:
            cached = self._hex.setdefault(height, binascii.hexlify(self.raw(height)))
        return cached

    def stats(self, height: int) -> BlockStats:
        cached = self._stats.get(height)
        if cached is None:
            cached = self._stats.setdefault(height, _block_stats(self.raw(height), height))
        return cached

    def n_tx(self, height: int) -> int:
        raw = self.raw(height)
        first = raw[80]
        width = {0xFD: 2, 0xFE: 4, 0xFF: 8}.get(first)
        return int.from_bytes(raw[81 : 81 + width], "little") if width else first

    def median_time(self, height: int) -> int:
        return median_time_past(self.times, height - self.start_height)

    def chainwork(self, height: int) -> int:
        """Cumulative work, every block below the served range counted at the first one's bits."""
        return self._chainwork[height - self.start_height]

    @cached_property
    def size_on_disk(self) -> int:
        return sum(len(b) for b in self.blocks)

    def transaction(self, height: int, index: int) -> Tx:
        start, end = self.stats(height).tx_bounds[index].tolist()
        return decode_tx(self.raw(height)[start:end])[0]

    def find_in_block(self, height: int, txid: str) -> Tx | None:
        txids = self.stats(height).txids
        return self.transaction(height, txids.index(txid)) if txid in txids else None

    def find_confirmed(self, txid: str) -> tuple[int, Tx] | None:
        """Height and transaction of a confirmed txid (indexes every block on first use)."""
        with self._lock:
            if self._confirmed is None:
                self._confirmed = {
                    t: (h, i)
                    for h in range(self.start_height, self.tip + 1)
                    for i, t in enumerate(self.stats(h).txids)
                }
        found = self._confirmed.get(txid)
        return None if found is None else (found[0], self.transaction(*found))

    def mempool_entry(self, txid: str) -> MempoolEntry | None:
        return self._mempool_by_txid.get(txid.lower())

    def mempool_children(self, txid: str) -> list[str]:
        return self._children.get(txid, [])

    def add_to_mempool(self, txs: Iterable[tuple[bytes, int]]) -> list[MempoolEntry]:
        """New unconfirmed transactions (raw, entry time), parents first; returns their entries.

        Copy-on-write in time proportional to the pool (dict copies), so a large
        mempool can grow several times a second.
        """
        with self._growth:
            added = self._mempool_entries(txs, self._mempool_by_txid.keys())
            if not added:
                return added
            by_txid = dict(self._mempool_by_txid)
            children = dict(self._children)
            for entry in added:
                txid = entry.tx.txid.hex()
                by_txid[txid] = entry
                for parent in entry.parents:
                    children[parent] = [*children.get(parent, ()), txid]
            self._publish(by_txid, children)
            return added

    def remove_from_mempool(self, txids: Iterable[str]) -> set[str]:
        """Drop ``txids`` and every descendant (evicted, replaced); returns what was dropped."""
        with self._growth:
            dropped = self._with_descendants(set(txids))
            self._drop(dropped)
            return dropped

    def _drop(self, dropped: set[str]) -> None:
        """Publish the mempool without ``dropped``; children that stay lose those parents."""
        old = self._mempool_by_txid
        dropped = {t for t in dropped if t in old}
        if not dropped:
            return
        by_txid = {t: e for t, e in old.items() if t not in dropped}
        children = {t: c for t, c in self._children.items() if t not in dropped}
        for txid in dropped:
            for child in self._children.get(txid, ()):
                if child in by_txid:
                    entry = by_txid[child]
                    parents = tuple(p for p in entry.parents if p not in dropped)
                    by_txid[child] = replace(entry, parents=parents)
            for parent in old[txid].parents:
                if parent in children:
                    kept = [c for c in children[parent] if c != txid]
                    if kept:
                        children[parent] = kept
                    else:
                        del children[parent]
        self._publish(by_txid, children)

    def _publish(self, by_txid: dict[str, MempoolEntry], children: dict[str, list[str]]) -> None:
        """Swap in new objects (the list last), so readers never see a half-made change."""
        self._children = children
        self._mempool_by_txid = by_txid
        self.mempool = list(by_txid.values())

    def _with_descendants(self, txids: set[str]) -> set[str]:
        todo = [t for t in txids if t in self._mempool_by_txid]
        found = set(todo)
        while todo:
            for child in self._children.get(todo.pop(), []):
                if child not in found:
                    found.add(child)
                    todo.append(child)
        return found

    def append_block(self, raw: bytes) -> int:
        """Extend the chain by one block (it must link to the tip) and drop what it confirms.

        Every per-height list grows before ``blocks``, whose length is the tip,
        so a server thread that sees the new tip finds all it needs about it.
        """
        with self._growth:
            height = self.tip + 1
            if len(raw) < 81:
                raise SourceError(f"block {height} is shorter than a header")
            header = Header.parse(raw)
            if header.prev_hash != self.tip_hash:
                raise SourceError(f"block {height} does not link to the tip {self.tip_hash}")
            block_hash = double_sha256(raw[:80])[::-1].hex()
            self.headers.append(header)
            self.hashes.append(block_hash)
            self.times.append(header.time)
            self._chainwork.append(self._chainwork[-1] + block_proof(header.bits))
            self._height_of[block_hash] = height
            txids = self.stats_of(height, raw).txids
            with self._lock:
                if self._confirmed is not None:
                    self._confirmed.update({t: (height, i) for i, t in enumerate(txids)})
            self.blocks.append(raw)
            self.__dict__.pop("size_on_disk", None)
            self._drop(set(txids))
            return height

    def stats_of(self, height: int, raw: bytes) -> BlockStats:
        """``stats`` for a block not yet served (the one being appended)."""
        return self._stats.setdefault(height, _block_stats(raw, height))


def _load_json(path: Path) -> Any:
    try:
        return json.loads(path.read_text())
    except json.JSONDecodeError as err:
        raise SourceError(f"{path} is not JSON: {err}") from None


def _read_block(folder: Path, height: int) -> bytes:
    for name, opener in ((f"{height}.bin.gz", gzip.open), (f"{height}.bin", open)):
        path = folder / name
        if path.exists():
            with opener(path, "rb") as f:
                return f.read()
    raise SourceError(f"{folder} has no block file for height {height}")
