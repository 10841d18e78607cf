"""Block hashes and 80-byte headers as nodes hand them out."""

from __future__ import annotations

import re

from chainprice.core.block_walk import HEADER_SIZE
from chainprice.core.errors import SourceError
from chainprice.core.sha256d import double_sha256

_HASH = re.compile(r"[0-9a-fA-F]{64}")


def is_block_hash(text: str) -> bool:
    return _HASH.fullmatch(text) is not None


def require_hash(text: str, what: str = "block hash") -> str:
    """``text`` (a block hash or txid) as lowercase hex, or a clear error; it goes into URLs."""
    if not isinstance(text, str) or not is_block_hash(text):
        raise SourceError(f"not a {what} (64 hex digits): {str(text)[:80]!r}")
    return text.lower()


def header_hash(header: bytes) -> str:
    """Display hex of a header's double SHA-256 (what RPC and explorers call the block hash)."""
    return double_sha256(header[:HEADER_SIZE])[::-1].hex()


def header_time(header: bytes) -> int:
    return int.from_bytes(header[68:72], "little")


def previous_hash(header: bytes) -> str:
    """Display hex of the previous block's hash named in ``header``."""
    return header[4:36][::-1].hex()


def split_headers(blob: bytes) -> list[bytes]:
    """Consecutive 80-byte headers; ``ValueError`` if ``blob`` is not a whole number of them."""
    if len(blob) % HEADER_SIZE:
        raise ValueError(f"{len(blob)} bytes is not a whole number of 80-byte headers")
    return [blob[i : i + HEADER_SIZE] for i in range(0, len(blob), HEADER_SIZE)]
