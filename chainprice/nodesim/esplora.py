"""Esplora's REST API (Blockstream's electrs) under ``/api``, and mempool.space's price API.

Text answers are ``text/plain``, JSON ``application/json``, raw bytes
``application/octet-stream``, as electrs sends them. Errors are plain text:
400 "Invalid hex string" / "Invalid number", 404 "Block not found",
"Transaction not found", or ``endpoint does not exist "<path>"``. The price
endpoints answer as mempool.space's backend (Express) does.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qs

from chainprice.nodesim.faults import Fault
from chainprice.nodesim.headers import difficulty, is_hash_hex
from chainprice.nodesim.jsonwire import compact_json
from chainprice.nodesim.prices import js_parse_int
from chainprice.nodesim.reply import BIN_TYPE, JSON_TYPE, TEXT_TYPE, Exchange, Reply
from chainprice.nodesim.rpc_methods import PRUNED_MESSAGE, RpcMethods

BLOCK_LIMIT = 10
RECENT_LIMIT = 10
RECENT_TTL = 5
FEE_BIN_VSIZE = 50_000
TTL_LONG = 157_784_630
TTL_SHORT = 10
CONF_FINAL = 10
EXPRESS_JSON = "application/json; charset=utf-8"


def _cache(ttl: int) -> list[tuple[str, str]]:
    return [("Cache-Control", f"public, max-age={ttl}")]


def _text(status: int, text: str, ttl: int | None = None) -> Reply:
    reply = Reply.text(status, text, TEXT_TYPE)
    reply.headers = _cache(ttl) if ttl is not None else []
    return reply


def _json(value: Any, ttl: int) -> Reply:
    return Reply(200, [compact_json(value).encode()], JSON_TYPE, _cache(ttl))


def _number(text: str) -> int | None:
    """A non-negative decimal, as Rust's ``usize`` parse accepts it."""
    return int(text) if text.isascii() and text.isdigit() else None


def _hash_or_none(text: str) -> str | None:
    return text.lower() if is_hash_hex(text) else None


def _esplora_fault(fault: Fault) -> Reply:
    if fault is Fault.ERROR_503:
        return _text(503, "Service temporarily unavailable")
    return _text(500, "Internal server error")


def _price_fault(fault: Fault) -> Reply:
    status = 503 if fault is Fault.ERROR_503 else 500
    return Reply.text(status, "Failed to get prices", "text/html; charset=utf-8")


class EsploraEndpoint:
    def __init__(self, methods: RpcMethods) -> None:
        self.methods = methods
        self.chain = methods.chain

    def exchange(self, api_path: str, query: str) -> Exchange:
        """``api_path`` is the path after ``/api`` (starting with ``/``)."""
        target = "/api" + api_path
        params = {k: v[0] for k, v in parse_qs(query).items()}
        if api_path.startswith("/v1/"):
            return Exchange(
                "price",
                [(target, params)],
                lambda: self._price(api_path[len("/v1/") :], params),
                _price_fault,
                fault_key=f"price:{target}?{query}",
            )
        parts = api_path.split("/")[1:]
        head = parts[0] if parts else ""
        data = head in ("blocks", "block", "block-height")
        return Exchange(
            "esplora",
            [(target, params)],
            lambda: self._route(parts, target),
            _esplora_fault,
            fault_key=f"esplora:{target}" if data else None,
            carries_block=head == "block" and parts[-1:] == ["raw"],
        )

    def _ttl(self, height: int) -> int:
        return TTL_LONG if self.chain.tip - height >= CONF_FINAL else TTL_SHORT

    def _route(self, parts: list[str], target: str) -> Reply:
        chain = self.chain
        match parts:
            case ["blocks", "tip", "height"]:
                return _text(200, str(chain.tip), TTL_SHORT)
            case ["blocks", "tip", "hash"]:
                return _text(200, chain.tip_hash, TTL_SHORT)
            case ["blocks"] | ["blocks", _]:
                start = _number(parts[1]) if len(parts) == 2 else None
                return self._blocks(chain.tip if start is None else start)
            case ["block-height", height_text]:
                height = _number(height_text)
                if height is None:
                    return _text(400, "Invalid number")
                if not chain.has_height(height):
                    return _text(404, "Block not found")
                return _text(200, chain.block_hash(height), self._ttl(height))
            case ["block", hash_text, *rest] if len(rest) <= 2:
                return self._block(hash_text, rest)
            case ["mempool"]:
                return _json(self._backlog(), TTL_SHORT)
            case ["mempool", "txids"]:
                return _json([e.tx.txid.hex() for e in chain.mempool], TTL_SHORT)
            case ["mempool", "recent"]:
                recent = chain.mempool[-RECENT_LIMIT:][::-1]
                return _json([self._overview(e) for e in recent], RECENT_TTL)
            case ["tx", txid, ("raw" | "hex" | "status") as kind]:
                return self._tx(txid, kind)
        return _text(404, f'endpoint does not exist "{target[len("/api") :]}"')

    def block_value(self, height: int) -> dict[str, Any]:
        """Esplora's ``BlockValue``."""
        chain = self.chain
        header = chain.header(height)
        stats = chain.stats(height)
        return {
            "id": chain.block_hash(height),
            "height": height,
            "version": header.version,
            "timestamp": header.time,
            "tx_count": len(stats.txids),
            "size": stats.size,
            "weight": stats.weight,
            "merkle_root": header.merkle_root,
            "previousblockhash": header.prev_hash,
            "mediantime": chain.median_time(height),
            "nonce": header.nonce,
            "bits": header.bits,
            "difficulty": difficulty(header.bits),
        }

    def _blocks(self, start: int) -> Reply:
        if not self.chain.has_height(start):
            return _text(404, "Block not found")
        low = max(self.chain.start_height, start - BLOCK_LIMIT + 1)
        return _json([self.block_value(h) for h in range(start, low - 1, -1)], TTL_SHORT)

    def _block(self, hash_text: str, rest: list[str]) -> Reply:
        block_hash = _hash_or_none(hash_text)
        if block_hash is None:
            return _text(400, "Invalid hex string")
        height = self.chain.height_of(block_hash)
        if rest == ["status"]:
            return _json(self._status(height), TTL_SHORT if height is None else self._ttl(height))
        if height is None:
            return _text(404, "Block not found")
        match rest:
            case []:
                return _json(self.block_value(height), TTL_LONG)
            case ["header"]:
                return _text(200, self.chain.raw(height)[:80].hex(), TTL_LONG)
            case ["raw"] if self.methods.is_pruned(height):
                return _text(400, f"daemon error: {PRUNED_MESSAGE}")  # electrs passes Core's on
            case ["raw"]:
                reply = Reply(200, [self.chain.raw(height)], BIN_TYPE)
                reply.headers = _cache(TTL_LONG)
                reply.block_parts = [0]
                return reply
            case ["txids"]:
                return _json(self.chain.stats(height).txids, TTL_LONG)
            case ["txid", index_text]:
                index = _number(index_text)
                if index is None:
                    return _text(400, "Invalid number")
                txids = self.chain.stats(height).txids
                if index >= len(txids):
                    return _text(404, "tx index out of range")
                return _text(200, txids[index], TTL_LONG)
        path = "/".join(["", "block", hash_text, *rest])
        return _text(404, f'endpoint does not exist "{path}"')

    def _status(self, height: int | None) -> dict[str, Any]:
        if height is None:
            return {"in_best_chain": False, "height": None, "next_best": None}
        following = self.chain.block_hash(height + 1) if height < self.chain.tip else None
        return {"in_best_chain": True, "height": height, "next_best": following}

    def _backlog(self) -> dict[str, Any]:
        """Count, total vsize and fee, and electrs's fee histogram (bins of ~50 kvB)."""
        pool = self.chain.mempool
        by_rate = sorted(pool, key=lambda e: e.fee / e.tx.vsize, reverse=True)
        histogram: list[list[float | int]] = []
        size, last = 0, 0.0
        for e in by_rate:
            rate = e.fee / e.tx.vsize
            if size > FEE_BIN_VSIZE and last != rate:
                histogram.append([last, size])
                size = 0
            last = rate
            size += e.tx.vsize
        if size:
            histogram.append([last, size])
        return {
            "count": len(pool),
            "vsize": sum(e.tx.vsize for e in pool),
            "total_fee": sum(e.fee for e in pool),
            "fee_histogram": histogram,
        }

    @staticmethod
    def _overview(entry: Any) -> dict[str, Any]:
        return {
            "txid": entry.tx.txid.hex(),
            "fee": entry.fee,
            "vsize": entry.tx.vsize,
            "value": sum(o.value for o in entry.tx.outputs),
        }

    def _tx(self, txid_text: str, kind: str) -> Reply:
        txid = _hash_or_none(txid_text)
        if txid is None:
            return _text(400, "Invalid hex string")
        entry = self.chain.mempool_entry(txid)
        confirmed = None if entry is not None else self.chain.find_confirmed(txid)
        if kind == "status":
            if confirmed is None:
                return _json({"confirmed": False}, TTL_SHORT)
            height = confirmed[0]
            return _json(
                {
                    "confirmed": True,
                    "block_height": height,
                    "block_hash": self.chain.block_hash(height),
                    "block_time": self.chain.header(height).time,
                },
                self._ttl(height),
            )
        if entry is None and confirmed is None:
            return _text(404, "Transaction not found")
        tx = entry.tx if entry is not None else confirmed[1]
        ttl = TTL_SHORT if confirmed is None else self._ttl(confirmed[0])
        if kind == "hex":
            return _text(200, tx.raw.hex(), ttl)
        reply = Reply(200, [tx.raw], BIN_TYPE)
        reply.headers = _cache(ttl)
        return reply

    def _price(self, endpoint: str, params: dict[str, str]) -> Reply:
        prices = self.chain.prices
        if endpoint == "prices":
            return Reply(200, [compact_json(prices.latest()).encode()], EXPRESS_JSON)
        if endpoint == "historical-price":
            result = prices.historical(
                params.get("currency"), js_parse_int(params.get("timestamp"))
            )
            if result is None:
                return Reply(200, [], None)
            return Reply(200, [compact_json(result).encode()], EXPRESS_JSON)
        return Reply.text(404, f"Cannot GET /api/v1/{endpoint}", "text/html; charset=utf-8")
