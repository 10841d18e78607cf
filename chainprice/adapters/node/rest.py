"""Bitcoin Core's REST interface (``-rest=1``, no credentials) as a block source.

Binary endpoints throughout: a block is its raw bytes, and up to 2,000
headers come in one request, which makes REST the cheapest way to read a
node. Nodes before v24 only know the older ``/rest/headers/<count>/<hash>``
form; the client switches to it when the new form is refused.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from typing import Any

from chainprice.adapters.node.config import NodeConfig
from chainprice.adapters.node.errors import (
    BadResponseError,
    NotFoundError,
    PrunedBlockError,
    RefusedError,
)
from chainprice.adapters.node.headers import header_hash, require_hash, split_headers
from chainprice.adapters.node.http import (
    Answer,
    HttpClient,
    RetryableResponse,
    body_block_hash,
    body_bytes,
    body_json,
    snippet,
)
from chainprice.adapters.node.mempool_listing import (
    MempoolEntry,
    MempoolUnavailableError,
    entries_from_verbose,
    txids_from_list,
)
from chainprice.adapters.node.parallel import map_parallel
from chainprice.adapters.node.stats import FetchStats

MAX_HEADERS = 2000  # Bitcoin Core's MAX_REST_HEADERS_RESULTS
CONTENTS = "the node's mempool/contents.json"


def _header_blob(answer: Answer) -> list[bytes]:
    try:
        return split_headers(answer.body)
    except ValueError as exc:
        raise RetryableResponse(str(exc)) from exc


def _mempool_contents(answer: Answer) -> Any:
    if answer.status == 503:
        raise MempoolUnavailableError(f"the node has no mempool (HTTP 503): {snippet(answer)}")
    from chainprice.adapters.node.verbose_mempool import decode_verbose

    try:
        return decode_verbose(answer.body, CONTENTS)
    except ValueError as exc:
        raise RetryableResponse(f"not valid JSON ({exc})") from exc


class RestSource:
    """Block source over ``<url>/rest/`` (``url`` may already end in ``/rest``)."""

    header_batch = MAX_HEADERS

    def __init__(
        self, url: str, config: NodeConfig | None = None, *, http: HttpClient | None = None
    ) -> None:
        base = url.rstrip("/")
        self.base = base if base.endswith("/rest") else base + "/rest"
        self.config = config or NodeConfig()
        self.http = http or HttpClient(self.config, FetchStats())
        self.stats = self.http.stats
        self._legacy_headers = False

    def tip_height(self) -> int:
        info: Any = self.http.get(f"{self.base}/chaininfo.json", body_json)
        try:
            return int(info["blocks"])
        except (KeyError, TypeError, ValueError) as exc:
            raise BadResponseError(f"the node's chaininfo.json has no block count: {exc}") from exc

    def chain_name(self) -> str | None:
        info: Any = self.http.get(f"{self.base}/chaininfo.json", body_json)
        return info.get("chain") if isinstance(info, dict) else None

    def block_hash(self, height: int) -> str:
        if height < 0:
            raise NotFoundError(f"there is no block at negative height {height}")
        return self.http.get(f"{self.base}/blockhashbyheight/{height}.hex", body_block_hash)

    def headers(self, start: int, count: int) -> list[bytes]:
        """Headers of heights ``start..``, fewer if the tip is reached (2,000 per request)."""
        if count <= 0:
            return []
        first = self.block_hash(start)
        out = self._headers_from(first, min(count, MAX_HEADERS))
        if not out or header_hash(out[0]) != first:
            raise BadResponseError(f"the node's headers from {first} do not start at that block")
        while len(out) < count:
            # continue from the last header received; the node repeats it first
            more = self._headers_from(header_hash(out[-1]), min(count - len(out) + 1, MAX_HEADERS))
            if more[:1] != out[-1:]:
                raise BadResponseError(f"the node's headers from {header_hash(out[-1])} moved")
            if len(more) == 1:
                break
            out.extend(more[1:])
        return out

    def _headers_from(self, block_hash: str, count: int) -> list[bytes]:
        legacy_url = f"{self.base}/headers/{count}/{block_hash}.bin"
        if self._legacy_headers:
            return self.http.get(legacy_url, _header_blob)
        try:
            return self.http.get(
                f"{self.base}/headers/{block_hash}.bin", _header_blob, params={"count": count}
            )
        except (NotFoundError, RefusedError):
            headers = self.http.get(legacy_url, _header_blob)
            self._legacy_headers = True
            return headers

    def raw_block(self, block_hash: str) -> bytes:
        try:
            return self.http.get(f"{self.base}/block/{require_hash(block_hash)}.bin", body_bytes)
        except NotFoundError as exc:
            if "pruned data" not in str(exc):
                raise
            info = self.http.get(f"{self.base}/chaininfo.json", body_json)
            raise PrunedBlockError.from_chaininfo(block_hash, info) from None

    def block_txids(self, block_hash: str) -> list[str]:
        """The block's txids in block order (``/rest/block/notxdetails/``), without its bytes."""
        url = f"{self.base}/block/notxdetails/{require_hash(block_hash)}.json"
        answer: Any = self.http.get(url, body_json)
        listed = answer.get("tx") if isinstance(answer, dict) else None
        return txids_from_list(listed, f"the node's block/notxdetails/{block_hash}.json")

    def mempool_transactions(self) -> list[bytes]:
        """Raw unconfirmed transactions; those mined or evicted meanwhile are left out."""
        txids = [e.txid for e in self.mempool_entries()]
        return [tx for tx in self.raw_transactions(txids) if tx is not None]

    def mempool_entries(self, known: Collection[str] = ()) -> list[MempoolEntry]:
        """Every entry of ``mempool/contents.json`` (REST has no per-entry call: ``known``
        changes nothing). A node without a mempool answers 503; an empty one may be
        ``-blocksonly``, which REST cannot tell."""
        url = f"{self.base}/mempool/contents.json"
        try:
            contents = self.http.get(url, _mempool_contents, answers=(503,))
        except NotFoundError as exc:
            raise MempoolUnavailableError(
                f"the node serves no REST mempool (is -rest=1 set?): {exc}"
            ) from None
        return entries_from_verbose(contents, CONTENTS)

    def raw_transactions(self, txids: Sequence[str]) -> list[bytes | None]:
        """Raw transactions by txid (``/rest/tx/<txid>.bin``); None for one gone meanwhile."""
        return map_parallel(self._tx, list(txids), self.config.workers)

    def _tx(self, txid: str) -> bytes | None:
        try:
            return self.http.get(f"{self.base}/tx/{require_hash(txid, 'txid')}.bin", body_bytes)
        except NotFoundError:
            return None
