"""The engine's view of a node: header times for the window rules, verified blocks in order.

Window rules read one header time at a time, walking back and forth around
a day's boundaries; asking the node for each would cost hundreds of round
trips. So headers are fetched a span at a time (as many as the source serves
cheaply in one call) and cached, and every header is checked to link to its
neighbours by previous-block hash. Blocks are then fetched by those hashes on
several connections, each one checked before use (its header must hash to
the hash asked for, then the injected ``verify``: the parser's merkle check),
and handed out in height order while later ones download.
"""

from __future__ import annotations

import itertools
from collections import deque
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any, TypeVar, overload

import numpy as np

from chainprice.adapters.node.errors import (
    BadResponseError,
    BlockCheckError,
    BlockFetchError,
    NotFoundError,
)
from chainprice.adapters.node.headers import header_time, previous_hash
from chainprice.adapters.node.mempool_listing import txid_rows
from chainprice.adapters.node.parallel import map_parallel
from chainprice.adapters.node.source import BlockSource
from chainprice.adapters.node.stats import FetchStats
from chainprice.core.block_outputs import KnownTxids
from chainprice.core.block_parser import RawBlock
from chainprice.core.errors import ChainPriceError, SourceError
from chainprice.core.sha256d import double_sha256, merkle_root

T = TypeVar("T")
Verify = Callable[[int, bytes], Any]

DEFAULT_HEADER_BATCH = 288  # two days of headers: a day's window search in one or two calls


class NodeChain:
    """``core.windows.HeaderSource`` and block fetcher over one ``BlockSource``.

    The tip is read once: a ``NodeChain`` is a snapshot of the chain, so every
    window computed from it agrees on the tip (make a new one to see new
    blocks). A block failing a check is fetched again up to ``retries`` times,
    then reported as ``BlockCheckError``; it is never handed out.
    """

    def __init__(
        self,
        source: BlockSource,
        *,
        workers: int = 8,
        verify: Verify | None = None,
        retries: int = 3,
    ) -> None:
        self.source = source
        self.workers = max(1, workers)
        self.verify = verify
        self.retries = max(0, retries)
        self.header_batch = max(1, int(getattr(source, "header_batch", DEFAULT_HEADER_BATCH)))
        self._tip: int | None = None
        self._headers: dict[int, bytes] = {}
        self._hashes: dict[int, str] = {}
        self._floor = 0  # lowest height the node serves (test chains start above 0)
        self._network: dict[str, Any] | None = None

    @property
    def stats(self) -> FetchStats:
        return self.source.stats

    def network(self) -> dict[str, Any]:
        """The chain's name (main, test...) and genesis hash, where the node tells them."""
        if self._network is None:
            chain_name = getattr(self.source, "chain_name", None)
            try:
                genesis: str | None = self.source.block_hash(0)
            except NotFoundError:  # a node serving a chain from a later height
                genesis = None
            self._network = {"chain": chain_name() if chain_name else None, "genesis_hash": genesis}
        return self._network

    def block_count(self) -> int:
        """The tip height, read from the node on first use."""
        if self._tip is None:
            self._tip = self.source.tip_height()
        return self._tip

    def first_height(self) -> int:
        """The lowest height the node serves: 0, or where a simulated chain starts."""
        try:
            self.source.block_hash(0)
        except NotFoundError:
            return self._first_served(0, self.block_count())
        return 0

    def header_time(self, height: int) -> int:
        return header_time(self.header(height))

    def header(self, height: int) -> bytes:
        """The 80-byte header at ``height``, prefetching its neighbours on a miss."""
        if height not in self._headers:
            self._check_range(height, height + 1)
            self._prefetch(height)
        return self._headers[height]

    def block_hash(self, height: int) -> str:
        self.header(height)
        return self._hashes[height]

    def _check_range(self, start: int, end: int) -> None:
        tip = self.block_count()
        what = f"height {start}" if end == start + 1 else f"heights [{start}, {end})"
        if end > tip + 1:
            raise NotFoundError(f"{what} is past the node's tip {tip}")
        if not 0 <= start <= end:
            raise NotFoundError(f"{what} is not a range of block heights")

    def _prefetch(self, height: int) -> None:
        tip, span = self.block_count(), self.header_batch
        lo = min(height, max(0, self._floor, min(height - span // 2, tip + 1 - span)))
        hi = min(tip + 1, max(lo + span, height + 1))
        while lo < height and lo in self._headers:
            lo += 1
        while hi - 1 > height and hi - 1 in self._headers:
            hi -= 1
        try:
            self._load(lo, hi)
        except NotFoundError:
            if lo == height:
                raise
            self._floor = self._first_served(lo, height)
            self._load(self._floor, hi)

    def _first_served(self, missing: int, height: int) -> int:
        """Lowest height in ``(missing, height]`` the node serves, by bisection.

        Only chains served from a start height above 0 (test and demo chains)
        lack headers below the ones asked for; a few one-header probes then
        spare every later prefetch the failing request.
        """
        self.source.block_hash(height)  # raises if the node lacks ``height`` itself
        while height - missing > 1:
            mid = (missing + height) // 2
            try:
                self.source.block_hash(mid)
                height = mid
            except NotFoundError:
                missing = mid
        return height

    def _load(self, lo: int, hi: int) -> None:
        """Fetch headers ``[lo, hi)``, check they link to each other and to the cache, keep them."""
        got: list[bytes] = []
        while lo + len(got) < hi:
            part = self.source.headers(lo + len(got), hi - lo - len(got))
            if not part:
                raise BadResponseError(
                    f"the node sent no header for height {lo + len(got)} below its tip {self._tip}"
                )
            got.extend(part)
        new_headers = dict(enumerate(got[: hi - lo], start=lo))
        new_hashes = {}
        for height, header in new_headers.items():
            if len(header) != 80:
                raise BadResponseError(f"the node's header for height {height} is not 80 bytes")
            new_hashes[height] = double_sha256(header)[::-1].hex()
        for height, header in new_headers.items():
            below = new_hashes.get(height - 1, self._hashes.get(height - 1))
            above = new_headers.get(height + 1, self._headers.get(height + 1))
            if below is not None and previous_hash(header) != below:
                self._unlinked(height)
            if above is not None and previous_hash(above) != new_hashes[height]:
                self._unlinked(height + 1)
        self._headers.update(new_headers)
        self._hashes.update(new_hashes)

    @staticmethod
    def _unlinked(height: int) -> None:
        raise BadResponseError(
            f"the node's headers at heights {height - 1} and {height} do not link by "
            "previous-block hash (the chain changed while reading, or a header is corrupt)"
        )

    def _hashes_for(self, start: int, end: int) -> list[str]:
        """Block hashes of ``[start, end)``, loading missing headers in spans."""
        self._check_range(start, end)
        height = start
        while height < end:
            if height in self._headers:
                height += 1
                continue
            stop = height
            while stop < min(end, height + self.header_batch) and stop not in self._headers:
                stop += 1
            self._load(height, stop)
            height = stop
        return [self._hashes[h] for h in range(start, end)]

    def fetch(self, start: int, end: int) -> list[RawBlock]:
        """Verified raw blocks of heights ``[start, end)``, in order (``core``'s block fetcher)."""
        return list(self.iter_blocks(start, end))

    @overload
    def iter_blocks(self, start: int, end: int) -> Iterator[RawBlock]: ...

    @overload
    def iter_blocks(
        self, start: int, end: int, verify: Callable[[int, bytes], T]
    ) -> Iterator[T]: ...

    def iter_blocks(self, start: int, end: int, verify: Verify | None = None) -> Iterator[Any]:
        """Blocks of ``[start, end)`` in height order, each as soon as it and those before are in.

        Without ``verify``, yields ``RawBlock``s checked by the chain's own
        ``verify`` (if any); with it, yields ``verify(height, data)`` for each
        block. At most ``2 * workers`` blocks are held ahead of the consumer.
        """
        hashes = self._hashes_for(start, end)
        check = verify or self.verify
        heights = iter(range(start, end))
        with ThreadPoolExecutor(self.workers, thread_name_prefix="block-fetch") as pool:
            pending: deque[Future[tuple[bytes, Any]]] = deque()

            def submit_next(n: int) -> None:
                for h in itertools.islice(heights, n):
                    pending.append(pool.submit(self._verified, h, hashes[h - start], check))

            submit_next(2 * self.workers)
            try:
                height = start
                while pending:
                    data, value = pending.popleft().result()
                    submit_next(1)
                    yield value if verify is not None else RawBlock(height, data)
                    height += 1
            finally:
                for future in pending:
                    future.cancel()

    def txids(self, start: int, end: int) -> KnownTxids:
        """Txids of the blocks ``[start, end)`` in chain order, without their raw bytes.

        Backfill workers need the txids below their first block (the spend
        lookback) but not those blocks, which another worker reads; each list
        is checked against its header's merkle root.
        """
        hashes = self._hashes_for(start, end)
        items = list(zip(range(start, end), hashes, strict=True))
        lists = map_parallel(self._txid_list, items, self.workers)
        height = np.repeat(np.arange(start, end, dtype=np.int32), [len(t) for t in lists])
        txid = np.concatenate([np.zeros((0, 32), np.uint8), *lists])
        return KnownTxids(height, txid)

    def _txid_list(self, item: tuple[int, str]) -> np.ndarray:
        """One block's txids as ``(n, 32)`` internal-order bytes, matching its merkle root."""
        height, block_hash = item
        txid = txid_rows(self.source.block_txids(block_hash))
        if not len(txid) or merkle_root(txid) != self.header(height)[36:68]:
            raise BadResponseError(
                f"the node's txid list of block {height} ({block_hash}) does not match the "
                "merkle root in its header"
            )
        return txid

    def _verified(self, height: int, block_hash: str, check: Verify | None) -> tuple[bytes, Any]:
        """Fetch one block until it passes every check; ``(data, check's result)``."""
        expected = bytes.fromhex(block_hash)[::-1]
        problem = ""
        for attempt in range(self.retries + 1):
            if attempt:
                self.stats.add(retries=1)
            try:
                data = self.source.raw_block(block_hash)
            except SourceError as exc:
                raise BlockFetchError(height, str(exc)) from exc
            if len(data) < 80 or double_sha256(bytes(data[:80])) != expected:
                problem = f"its header does not hash to {block_hash}"
            elif check is None:
                return data, None
            else:
                try:
                    return data, check(height, data)
                except ChainPriceError as exc:
                    problem = str(exc)
            self.stats.add(rejected_blocks=1)
        raise BlockCheckError(
            f"block {height} ({block_hash}) failed verification {self.retries + 1} times: {problem}"
        )
