"""Bitcoin Core's JSON-RPC as a block source: batched header ranges, raw blocks as hex.

Header ranges cost two batched requests (``getblockhash`` for every height,
then ``getblockheader <hash> false``), whatever their length up to
``batch_size``. Blocks come one per request (``getblock <hash> 0``, 1-4 MB of
hex each) on several connections at once.
"""

from __future__ import annotations

import binascii
import itertools
import json
import threading
from collections.abc import Callable, Collection, Sequence
from pathlib import Path
from typing import Any

from chainprice.adapters.node.config import NodeConfig
from chainprice.adapters.node.errors import (
    AuthError,
    BadResponseError,
    ConfigError,
    NotFoundError,
    PrunedBlockError,
    RefusedError,
    RpcError,
)
from chainprice.adapters.node.headers import header_hash, is_block_hash, require_hash
from chainprice.adapters.node.hexjson import loads_hex_answer
from chainprice.adapters.node.http import Answer, HttpClient, RetryableResponse, redact, snippet
from chainprice.adapters.node.mempool_listing import (
    MempoolEntry,
    MempoolUnavailableError,
    entries_from_verbose,
    entry_from_json,
    txids_from_list,
)
from chainprice.adapters.node.parallel import map_parallel
from chainprice.adapters.node.stats import FetchStats

Call = tuple[str, Sequence[Any]]

RPC_MISC_ERROR = -1  # also "Block not available (pruned data)"
RPC_INVALID_ADDRESS_OR_KEY = -5  # "Block not found", "No such mempool transaction"
RPC_INVALID_PARAMETER = -8  # "Block height out of range"
RPC_IN_WARMUP = -28
RPC_CLIENT_MEMPOOL_DISABLED = -33  # "Mempool disabled or instance not found"
RPC_METHOD_NOT_FOUND = -32601
RPC_INTERNAL_ERROR = -32603  # a failure inside the node (a disk read, a busy lock): may pass

# Core answers a failed single call with a JSON error body and one of these statuses.
_ERROR_STATUSES = (400, 404, 500)


def _describe(method: str, params: Sequence[Any]) -> str:
    return " ".join([method, *(json.dumps(p) if not isinstance(p, str) else p for p in params)])


def rpc_error(error: Any, method: str, params: Sequence[Any]) -> Exception:
    """The exception for one JSON-RPC error object (``RetryableResponse`` when it may pass)."""
    code = error.get("code") if isinstance(error, dict) else None
    message = error.get("message") if isinstance(error, dict) else error
    call = _describe(method, params)
    if code == RPC_IN_WARMUP:
        return RetryableResponse(f"the node is still starting ({message})")
    if code == RPC_INTERNAL_ERROR:
        return RetryableResponse(f"the node failed internally on {call} ({message})")
    if code == RPC_INVALID_PARAMETER and method == "getblockhash":
        return NotFoundError(f"the node has no block at height {params[0]} ({call}: {message})")
    if code == RPC_INVALID_ADDRESS_OR_KEY:
        return NotFoundError(f"the node does not know {params[0]} ({call}: {message})")
    if code == RPC_METHOD_NOT_FOUND:
        return RpcError(f"the node does not offer the RPC method {method} ({message})", code)
    return RpcError(f"the node refused {call}: {message} (RPC error {code})", code or 0)


class RpcSource:
    """Block source over Bitcoin Core JSON-RPC at ``url`` (``http://host:8332``)."""

    def __init__(
        self, url: str, config: NodeConfig | None = None, *, http: HttpClient | None = None
    ) -> None:
        self.url = url
        self.config = config or NodeConfig()
        self.http = http or HttpClient(self.config, FetchStats())
        self.stats = self.http.stats
        self.header_batch = self.config.batch_size
        self._ids = itertools.count(1)
        self._auth_lock = threading.Lock()
        self._auth = self._credentials()

    def _credentials(self) -> tuple[str, str] | None:
        """``(user, password)`` from the cookie file (read now) or the settings."""
        cookie = self.config.rpc_cookie
        if cookie is not None:
            try:
                text = Path(cookie).read_text().strip()
            except OSError as exc:
                raise ConfigError(
                    f"cannot read the node's cookie file {cookie}: {exc.strerror or exc}"
                ) from exc
            user, sep, password = text.partition(":")
            if not sep:
                raise ConfigError(f"the cookie file {cookie} does not hold user:password")
            return user, password
        if self.config.rpc_user is not None:
            return self.config.rpc_user, self.config.rpc_password or ""
        return None

    def _post(self, payload: Any, parse: Callable[[Answer], Any]) -> Any:
        """One POST; on 401 with a cookie file, re-read the file once (the node restarted)."""
        data = json.dumps(payload).encode()
        used = self._auth
        try:
            return self._send(data, parse, used)
        except AuthError:
            if self.config.rpc_cookie is None:
                raise
            with self._auth_lock:
                if self._auth == used:
                    self._auth = self._credentials()
                fresh = self._auth
            if fresh == used:
                raise
            return self._send(data, parse, fresh)

    def _send(
        self,
        data: bytes,
        parse: Callable[[Answer], Any],
        auth: tuple[str, str] | None,
    ) -> Any:
        return self.http.request(
            "POST",
            self.url,
            parse,
            answers=_ERROR_STATUSES,
            data=data,
            auth=auth,
            headers={"Content-Type": "application/json"},
        )

    def _request(self, method: str, params: Sequence[Any]) -> dict[str, Any]:
        return {"jsonrpc": "1.0", "id": next(self._ids), "method": method, "params": list(params)}

    def _answer(self, answer: Answer, loads: Callable[[bytes], Any]) -> Any:
        """The JSON of an answer; a body that is not JSON is retried or refused by its status."""
        try:
            return loads(answer.body)
        except ValueError as exc:
            status = answer.status
            if status == 200 or status >= 500:
                raise RetryableResponse(f"not a JSON-RPC answer ({exc})") from exc
            where = f"the node at {redact(self.url)}"
            if status == 404:
                raise NotFoundError(
                    f"{where} has no JSON-RPC endpoint (HTTP 404): {snippet(answer)}"
                ) from exc
            raise RefusedError(
                f"{where} refused the request (HTTP {status}): {snippet(answer)}"
            ) from exc

    @staticmethod
    def _result(envelope: Any, method: str, params: Sequence[Any]) -> Any:
        if not isinstance(envelope, dict):
            raise RetryableResponse(f"the answer to {method} is not a JSON-RPC object")
        error = envelope.get("error")
        if error is not None:
            raise rpc_error(error, method, params)
        if "result" not in envelope:
            raise RetryableResponse(f"the answer to {method} has neither result nor error")
        return envelope["result"]

    def call(self, method: str, *params: Any, loads: Callable[[bytes], Any] = json.loads) -> Any:
        """The result of one RPC call; Core's errors become ``SourceError`` subclasses.

        ``loads`` parses the reply (a faster typed decoder for large answers).
        """
        request = self._request(method, params)
        return self._post(request, lambda r: self._result(self._answer(r, loads), method, params))

    def call_hex(self, method: str, *params: Any) -> bytes | bytearray:
        """The result of a call answering one hex string, decoded to bytes (fast for blocks)."""
        request = self._request(method, params)

        def parse(answer: Answer) -> bytes | bytearray:
            result = self._result(self._answer(answer, loads_hex_answer), method, params)
            if not isinstance(result, bytes | bytearray):
                raise RetryableResponse(f"the answer to {method} is not a hex string")
            return result

        return self._post(request, parse)

    def batch(self, calls: Sequence[Call], *, skip_missing: bool = False) -> list[Any]:
        """Results of many calls in one request, in order.

        With ``skip_missing``, a call answered "not found" (-5, or -8 for
        ``getblockhash``) gives ``None`` instead of an error.
        """
        if not calls:
            return []
        requests_ = [self._request(method, params) for method, params in calls]

        def parse(answer: Answer) -> list[Any]:
            answers = self._answer(answer, json.loads)
            if isinstance(answers, dict):  # the whole batch was refused
                self._result(answers, "batch", ())
            if not isinstance(answers, list):
                raise RetryableResponse("a batch answer is not a JSON array")
            by_id = {a.get("id"): a for a in answers if isinstance(a, dict)}
            results = []
            for request, (method, params) in zip(requests_, calls, strict=True):
                if request["id"] not in by_id:
                    raise RetryableResponse(f"the batch answer lacks the answer to {method}")
                try:
                    results.append(self._result(by_id[request["id"]], method, params))
                except NotFoundError:
                    if not skip_missing:
                        raise
                    results.append(None)
            return results

        return self._post(requests_, parse)

    def tip_height(self) -> int:
        return int(self.call("getblockcount"))

    def chain_name(self) -> str | None:
        info = self.call("getblockchaininfo")
        return info.get("chain") if isinstance(info, dict) else None

    def block_hash(self, height: int) -> str:
        answer = self.call("getblockhash", height)
        if not isinstance(answer, str) or not is_block_hash(answer):
            raise BadResponseError(f"the node answered getblockhash {height} with {answer!r}")
        return answer

    def headers(self, start: int, count: int) -> list[bytes]:
        """Headers of heights ``start..``, fewer if the tip is reached (batches run in parallel)."""
        if count <= 0:
            return []
        size = self.header_batch
        chunks = [range(h, min(h + size, start + count)) for h in range(start, start + count, size)]
        out: list[bytes] = []
        for part, chunk in zip(
            map_parallel(self._header_chunk, chunks, self.config.workers), chunks, strict=True
        ):
            out.extend(part)
            if len(part) < len(chunk):
                break
        if not out:
            raise NotFoundError(f"the node has no block at height {start}")
        return out

    def _header_chunk(self, heights: range) -> list[bytes]:
        answers = self.batch(
            [("getblockcount", ())] + [("getblockhash", (h,)) for h in heights], skip_missing=True
        )
        tip = int(answers[0])
        hashes = []
        for height, block_hash in zip(heights, answers[1:], strict=True):
            if height > tip:
                break
            if not isinstance(block_hash, str) or not is_block_hash(block_hash):
                raise NotFoundError(
                    f"the node gave no block hash for height {height} (its tip is {tip})"
                )
            hashes.append(block_hash)
        if not hashes:
            return []
        hexes = self.batch([("getblockheader", (h, False)) for h in hashes])
        headers = []
        served = range(heights.start, heights.start + len(hashes))
        for height, block_hash, text in zip(served, hashes, hexes, strict=True):
            try:
                header = binascii.unhexlify(text)
            except (TypeError, ValueError):
                header = b""
            if len(header) != 80 or header_hash(header) != block_hash:
                raise BadResponseError(
                    f"the node's header for height {height} does not hash to {block_hash}"
                )
            headers.append(header)
        return headers

    def raw_block(self, block_hash: str) -> bytes | bytearray:
        try:
            return self.call_hex("getblock", require_hash(block_hash), 0)
        except RpcError as exc:
            if exc.code == RPC_MISC_ERROR and "pruned" in str(exc):
                info = self.call("getblockchaininfo")
                raise PrunedBlockError.from_chaininfo(block_hash, info) from None
            raise

    def block_txids(self, block_hash: str) -> list[str]:
        """The block's txids in block order (``getblock <hash> 1``), without its raw bytes."""
        answer = self.call("getblock", require_hash(block_hash), 1)
        listed = answer.get("tx") if isinstance(answer, dict) else None
        return txids_from_list(listed, f"the node's getblock {block_hash} 1 answer")

    def mempool_transactions(self) -> list[bytes]:
        """Raw unconfirmed transactions; those mined or evicted meanwhile are left out."""
        txids = txids_from_list(self.call("getrawmempool"), "the node's getrawmempool answer")
        return [tx for tx in self.raw_transactions(txids) if tx is not None]

    def mempool_entries(self, known: Collection[str] = ()) -> list[MempoolEntry]:
        """Every mempool entry, with its entry time and whether it has unconfirmed parents.

        The first call reads ``getrawmempool true``. With ``known`` txids (a
        refresh), the node lists txids only and ``getmempoolentry`` runs, batched,
        for the others: known entries come back with ``time=None`` (the caller
        has it), so a refresh moves kilobytes instead of the whole verbose pool.
        """
        try:
            if known:
                entries = self._new_entries(known)
            else:
                from chainprice.adapters.node.verbose_mempool import decode_verbose_rpc

                verbose = self.call("getrawmempool", True, loads=decode_verbose_rpc)
                entries = entries_from_verbose(verbose, "the node's getrawmempool answer")
        except RpcError as exc:
            if exc.code == RPC_CLIENT_MEMPOOL_DISABLED:
                raise MempoolUnavailableError(f"the node has no mempool: {exc}") from None
            raise
        if not entries:
            self._require_relay()
        return entries

    def _new_entries(self, known: Collection[str]) -> list[MempoolEntry]:
        txids = txids_from_list(
            self.call("getrawmempool", False), "the node's getrawmempool answer"
        )
        new = [t for t in txids if t not in known]
        size = self.config.batch_size
        chunks = [new[i : i + size] for i in range(0, len(new), size)]
        parts = map_parallel(
            lambda chunk: self.batch([("getmempoolentry", (t,)) for t in chunk], skip_missing=True),
            chunks,
            self.config.workers,
        )
        where = "the node's getmempoolentry answer"
        fresh = [
            entry_from_json(t, e, where)
            for t, e in zip(new, (e for part in parts for e in part), strict=True)
            if e is not None
        ]
        return [MempoolEntry(t, None, False) for t in txids if t in known] + fresh

    def _require_relay(self) -> None:
        """An empty mempool from a ``-blocksonly`` node (``localrelay`` false) is an error."""
        info = self.call("getnetworkinfo")
        if isinstance(info, dict) and info.get("localrelay") is False:
            raise MempoolUnavailableError(
                "the node relays no transactions (getnetworkinfo localrelay=false, "
                "-blocksonly): its mempool cannot be priced"
            )

    def raw_transactions(self, txids: Sequence[str]) -> list[bytes | None]:
        """Raw transactions by txid (batched ``getrawtransaction``); None for one gone meanwhile."""
        size = self.config.batch_size
        chunks = [list(txids[i : i + size]) for i in range(0, len(txids), size)]

        def fetch(chunk: list[str]) -> list[Any]:
            return self.batch([("getrawtransaction", (t, 0)) for t in chunk], skip_missing=True)

        parts = map_parallel(fetch, chunks, self.config.workers)
        try:
            return [None if h is None else binascii.unhexlify(h) for part in parts for h in part]
        except (TypeError, ValueError) as exc:
            raise BadResponseError(f"the node sent a transaction that is not hex: {exc}") from exc
