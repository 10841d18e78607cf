"""Bitcoin Core's REST interface (``-rest=1``) under ``/rest/``, without authentication.

Errors are plain text ending in CRLF, as Core's ``RESTERR`` writes them:
400 for a malformed hash, height or count, 404 for an unknown block or
transaction and for an unknown output format. Headers for an unknown
hash are an empty list, not an error, as in Core.
"""

from __future__ import annotations

from collections.abc import Callable
from urllib.parse import parse_qs

from chainprice.nodesim.faults import Fault
from chainprice.nodesim.headers import is_hash_hex
from chainprice.nodesim.jsonwire import core_json
from chainprice.nodesim.reply import (
    BIN_TYPE,
    JSON_TYPE,
    TEXT_TYPE,
    Exchange,
    Reply,
    work_queue_full,
)
from chainprice.nodesim.rpc_methods import RpcMethods
from chainprice.nodesim.transactions import tx_json

MAX_HEADERS = 2000
FORMATS = ("bin", "hex", "json")
ALL_FORMATS = ", ".join(f".{f}" for f in FORMATS)


def _error(status: int, message: str) -> Reply:
    return Reply.text(status, message + "\r\n", TEXT_TYPE)


def _split_format(part: str) -> tuple[str, str]:
    """Core's ``ParseDataFormat``: drop the query, then split a known ``.ext`` off the end."""
    param = part.split("?", 1)[0] if "?" in part else part
    stem, dot, ext = param.rpartition(".")
    return (stem, ext) if dot and ext in FORMATS else (param, "")


def _answer(fmt: str, binary: bytes, hex_text: bytes, json_text: Callable[[], str]) -> Reply:
    if fmt == "bin":
        return Reply(200, [binary], BIN_TYPE)
    if fmt == "hex":
        return Reply(200, [hex_text, b"\n"], TEXT_TYPE)
    if fmt == "json":
        return Reply(200, [json_text().encode(), b"\n"], JSON_TYPE)
    return _error(404, f"output format not found (available: {ALL_FORMATS})")


def _fault_reply(fault: Fault) -> Reply:
    if fault is Fault.ERROR_503:
        return work_queue_full()
    return _error(500, "Internal error")


class RestEndpoint:
    def __init__(self, methods: RpcMethods) -> None:
        self.methods = methods
        self.chain = methods.chain

    def exchange(self, rest_path: str, query: str) -> Exchange:
        """``rest_path`` is what follows ``/rest/``; ``query`` the URL's query string."""
        routes: list[tuple[str, Callable[[str, str], Reply], bool]] = [
            ("tx/", self._tx, False),
            ("block/notxdetails/", lambda p, q: self._block(p, 1), True),
            ("block/", lambda p, q: self._block(p, 2), True),
            ("chaininfo", self._chaininfo, True),
            ("mempool/", self._mempool, False),
            ("headers/", self._headers, True),
            ("blockhashbyheight/", self._blockhash_by_height, True),
        ]
        target = "/rest/" + rest_path
        params = {k: v[0] for k, v in parse_qs(query).items()}
        found = next(((p, h, d) for p, h, d in routes if rest_path.startswith(p)), None)
        if found is None:
            reply = Reply(404)
            return Exchange("http", [(target, params)], lambda: reply, lambda _: reply)
        prefix, handler, data = found
        rest = rest_path[len(prefix) :]
        return Exchange(
            "rest",
            [(target, params)],
            lambda: handler(rest, query),
            _fault_reply,
            fault_key=f"rest:{target}?{query}" if data else None,
            carries_block=prefix.startswith("block/") and _split_format(rest)[1] != "json",
        )

    def _block(self, part: str, verbosity: int) -> Reply:
        hash_text, fmt = _split_format(part)
        if not is_hash_hex(hash_text):
            return _error(400, f"Invalid hash: {hash_text}")
        height = self.chain.height_of(hash_text)
        if height is None:
            return _error(404, f"{hash_text} not found")
        if self.methods.is_pruned(height):
            return _error(404, f"{hash_text} not available (pruned data)")
        reply = _answer(
            fmt,
            self.chain.raw(height),
            self.chain.hex(height) if fmt == "hex" else b"",
            lambda: core_json(self.methods.block_json(height, verbosity)),
        )
        if reply.status == 200 and fmt in ("bin", "hex"):
            reply.block_parts = [0]
            reply.hex_blocks = fmt == "hex"
        return reply

    def _headers(self, part: str, query: str) -> Reply:
        param, fmt = _split_format(part)
        path = param.split("/")
        if len(path) == 2:
            raw_count, hash_text = path
        elif len(path) == 1:
            hash_text = path[0]
            raw_count = parse_qs(query).get("count", ["5"])[0]
        else:
            return _error(
                400, "Invalid URI format. Expected /rest/headers/<hash>.<ext>?count=<count>"
            )
        count = int(raw_count) if raw_count.isascii() and raw_count.isdigit() else 0
        if not 1 <= count <= MAX_HEADERS:
            limits = f"(1-{MAX_HEADERS})"
            return _error(
                400, f"Header count is invalid or out of acceptable range {limits}: {raw_count}"
            )
        if not is_hash_hex(hash_text):
            return _error(400, f"Invalid hash: {hash_text}")
        start = self.chain.height_of(hash_text)
        heights = (
            [] if start is None else list(range(start, min(start + count, self.chain.tip + 1)))
        )
        raw = b"".join(self.chain.raw(h)[:80] for h in heights)
        return _answer(
            fmt,
            raw,
            raw.hex().encode(),
            lambda: core_json([self.methods.header_json(h) for h in heights]),
        )

    def _blockhash_by_height(self, part: str, query: str) -> Reply:
        height_text, fmt = _split_format(part)
        height = _parse_int32(height_text)
        if height is None or height < 0:
            return _error(400, f"Invalid height: {_sanitize(height_text)}")
        if not self.chain.has_height(height):
            return _error(404, "Block height out of range")
        block_hash = self.chain.block_hash(height)
        return _answer(
            fmt,
            bytes.fromhex(block_hash)[::-1],
            block_hash.encode(),
            lambda: core_json({"blockhash": block_hash}),
        )

    def _chaininfo(self, part: str, query: str) -> Reply:
        if _split_format(part)[1] != "json":
            return _error(404, "output format not found (available: json)")
        return Reply(200, [core_json(self.methods.blockchain_info()).encode(), b"\n"], JSON_TYPE)

    def _mempool(self, part: str, query: str) -> Reply:
        param, fmt = _split_format(part)
        if param not in ("contents", "info"):
            return _error(400, "Invalid URI format. Expected /rest/mempool/<info|contents>.json")
        if fmt != "json":
            return _error(404, "output format not found (available: json)")
        if param == "info":
            return Reply(200, [core_json(self.methods.mempool_info()).encode(), b"\n"], JSON_TYPE)
        args = parse_qs(query)
        verbose = args.get("verbose", ["true"])[0]
        sequence = args.get("mempool_sequence", ["false"])[0]
        for name, value in (("verbose", verbose), ("mempool_sequence", sequence)):
            if value not in ("true", "false"):
                return _error(
                    400, f'The "{name}" query parameter must be either "true" or "false".'
                )
        if verbose == "true" and sequence == "true":
            hint = '(hint: set "verbose=false")'
            return _error(400, f"Verbose results cannot contain mempool sequence values. {hint}")
        contents = self.methods.raw_mempool(verbose == "true", sequence == "true")
        return Reply(200, [core_json(contents).encode(), b"\n"], JSON_TYPE)

    def _tx(self, part: str, query: str) -> Reply:
        txid, fmt = _split_format(part)
        if not is_hash_hex(txid):
            return _error(400, f"Invalid hash: {txid}")
        entry = self.chain.mempool_entry(txid)
        if entry is None:
            return _error(404, f"{txid} not found")
        return _answer(
            fmt, entry.tx.raw, entry.tx.raw.hex().encode(), lambda: core_json(tx_json(entry.tx))
        )


def _parse_int32(text: str) -> int | None:
    """Core's ``ParseInt32``: optional sign and decimal digits only, within 32 bits."""
    digits = text[1:] if text[:1] in "+-" else text
    if not digits.isdigit() or not digits.isascii():
        return None
    value = int(text)
    return value if -(2**31) <= value < 2**31 else None


def _sanitize(text: str) -> str:
    """Core's ``SanitizeString``: only letters, digits and a few safe characters survive."""
    safe = set(" .,;-_/:?@()")
    return "".join(c for c in text if (c.isascii() and c.isalnum()) or c in safe)
