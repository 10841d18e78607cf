"""An Esplora / electrs REST server (Blockstream's, mempool.space's) as a block source.

Esplora has no bulk header endpoint, but ``/blocks/<height>`` describes ten
blocks at a time; their 80-byte headers are rebuilt from those fields and
kept only if they hash to the block id the server gave (otherwise the header
is fetched on its own from ``/block/<hash>/header``). That makes a range of
headers one request per ten blocks instead of two per block.
"""

from __future__ import annotations

import binascii
from collections.abc import Collection, Sequence
from typing import Any

from chainprice.adapters.node.config import NodeConfig
from chainprice.adapters.node.errors import (
    BadResponseError,
    NotFoundError,
    PrunedBlockError,
    RefusedError,
)
from chainprice.adapters.node.headers import header_hash, require_hash
from chainprice.adapters.node.http import (
    Answer,
    HttpClient,
    RetryableResponse,
    body_block_hash,
    body_bytes,
    body_json,
    body_text,
)
from chainprice.adapters.node.mempool_listing import MempoolEntry, txids_from_list
from chainprice.adapters.node.parallel import map_parallel
from chainprice.adapters.node.stats import FetchStats


def _int_text(answer: Answer) -> int:
    text = body_text(answer)
    if not text.isdigit():
        raise RetryableResponse(f"not a block height: {text[:80]!r}")
    return int(text)


def _bits(value: Any) -> int:
    return int(value, 16) if isinstance(value, str) else int(value)


def header_from_fields(block: dict[str, Any]) -> bytes | None:
    """The 80-byte header described by one ``/blocks`` entry, if it hashes to the entry's id."""
    try:
        header = b"".join(
            (
                (int(block["version"]) & 0xFFFFFFFF).to_bytes(4, "little"),
                bytes.fromhex(block.get("previousblockhash") or "00" * 32)[::-1],
                bytes.fromhex(block["merkle_root"])[::-1],
                int(block["timestamp"]).to_bytes(4, "little"),
                _bits(block["bits"]).to_bytes(4, "little"),
                int(block["nonce"]).to_bytes(4, "little"),
            )
        )
    except (KeyError, TypeError, ValueError, OverflowError):
        return None
    return header if len(header) == 80 and header_hash(header) == block.get("id") else None


class EsploraSource:
    """Block source over an Esplora base URL such as ``https://blockstream.info/api``."""

    header_batch = 100

    def __init__(
        self, url: str, config: NodeConfig | None = None, *, http: HttpClient | None = None
    ) -> None:
        self.base = url.rstrip("/")
        self.config = config or NodeConfig()
        self.http = http or HttpClient(self.config, FetchStats(), service="the Esplora server")
        self.stats = self.http.stats

    def tip_height(self) -> int:
        return self.http.get(f"{self.base}/blocks/tip/height", _int_text)

    def block_hash(self, height: int) -> str:
        if height < 0:
            raise NotFoundError(f"there is no block at negative height {height}")
        return self.http.get(f"{self.base}/block-height/{height}", body_block_hash)

    def headers(self, start: int, count: int) -> list[bytes]:
        """Headers of heights ``start..``, fewer if the tip is reached (ten per request)."""
        if count <= 0:
            return []
        tip = self.tip_height()
        if not 0 <= start <= tip:
            raise NotFoundError(f"the Esplora server has no block at height {start} (tip {tip})")
        end = min(start + count, tip + 1)
        found: dict[int, bytes] = {}
        top = end - 1
        while top >= start:
            page = self.http.get(f"{self.base}/blocks/{top}", body_json)
            if not isinstance(page, list):
                raise BadResponseError(f"the Esplora server's /blocks/{top} is not a list")
            blocks = {b.get("height"): b for b in page if isinstance(b, dict)}
            if top not in blocks:
                raise NotFoundError(f"the Esplora server's /blocks/{top} lacks block {top}")
            while top >= start and top in blocks:
                found[top] = self._header(blocks[top])
                top -= 1
        return [found[h] for h in range(start, end)]

    def _header(self, block: dict[str, Any]) -> bytes:
        header = header_from_fields(block)
        if header is not None:
            return header
        block_id = require_hash(str(block.get("id")))

        def parse(answer: Answer) -> bytes:
            try:
                raw = binascii.unhexlify(body_text(answer))
            except ValueError as exc:
                raise RetryableResponse(f"header is not hex ({exc})") from exc
            if len(raw) != 80 or header_hash(raw) != block_id:
                raise RetryableResponse(f"header does not hash to {block_id}")
            return raw

        return self.http.get(f"{self.base}/block/{block_id}/header", parse)

    def raw_block(self, block_hash: str) -> bytes:
        try:
            return self.http.get(f"{self.base}/block/{require_hash(block_hash)}/raw", body_bytes)
        except RefusedError as exc:  # electrs passes its pruned node's refusal on as HTTP 400
            if "pruned data" not in str(exc):
                raise
            raise PrunedBlockError(block_hash, None) from None

    def block_txids(self, block_hash: str) -> list[str]:
        """The block's txids in block order (``/block/:hash/txids``), without its bytes."""
        answer = self.http.get(f"{self.base}/block/{require_hash(block_hash)}/txids", body_json)
        return txids_from_list(answer, f"the Esplora server's /block/{block_hash}/txids")

    def mempool_transactions(self) -> list[bytes]:
        """Raw unconfirmed transactions; those mined or evicted meanwhile are left out."""
        txids = [e.txid for e in self.mempool_entries()]
        return [tx for tx in self.raw_transactions(txids) if tx is not None]

    def mempool_entries(self, known: Collection[str] = ()) -> list[MempoolEntry]:
        """Every txid of ``/mempool/txids``; Esplora gives no entry time (``time=None``)."""
        answer = self.http.get(f"{self.base}/mempool/txids", body_json)
        txids = txids_from_list(answer, "the Esplora server's /mempool/txids")
        return [MempoolEntry(t, None, False) for t in txids]

    def raw_transactions(self, txids: Sequence[str]) -> list[bytes | None]:
        """Raw transactions by txid (``/tx/<txid>/raw``); None for one gone meanwhile."""
        return map_parallel(self._tx, list(txids), self.config.workers)

    def _tx(self, txid: str) -> bytes | None:
        try:
            return self.http.get(f"{self.base}/tx/{require_hash(txid, 'txid')}/raw", body_bytes)
        except NotFoundError:
            return None
