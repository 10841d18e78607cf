"""Header fields and the chain figures Core derives from them.

Difficulty and chainwork come from the ``bits`` field exactly as Core
computes them; median time past is the middle of the last eleven header
times. The served chain starts mid-history, so chainwork counts every
earlier block at the first block's difficulty (a plausible, increasing
figure rather than the real one).
"""

from __future__ import annotations

import re
import struct
from dataclasses import dataclass

MTP_SPAN = 11


@dataclass(frozen=True)
class Header:
    version: int
    prev_hash: str
    """Display hex."""
    merkle_root: str
    """Display hex."""
    time: int
    bits: int
    nonce: int

    @classmethod
    def parse(cls, raw: bytes) -> Header:
        version, prev, merkle, time, bits, nonce = struct.unpack("<I32s32sIII", raw[:80])
        return cls(version, prev[::-1].hex(), merkle[::-1].hex(), time, bits, nonce)


def target(bits: int) -> int:
    exponent, mantissa = bits >> 24, bits & 0x007FFFFF
    if exponent <= 3:
        return mantissa >> (8 * (3 - exponent))
    return mantissa << (8 * (exponent - 3))


def block_proof(bits: int) -> int:
    """Expected hashes to find a block at ``bits`` (Core's ``GetBlockProof``)."""
    t = target(bits)
    return (1 << 256) // (t + 1) if t else 0


def difficulty(bits: int) -> float:
    """Core's ``GetDifficulty``: the mainnet minimum target over this one, in doubles."""
    shift = (bits >> 24) & 0xFF
    diff = 0x0000FFFF / (bits & 0x00FFFFFF)
    while shift < 29:
        diff *= 256.0
        shift += 1
    while shift > 29:
        diff /= 256.0
        shift -= 1
    return diff


def median_time_past(times: list[int], index: int) -> int:
    """Median of the header times of block ``index`` and up to ten before it."""
    window = sorted(times[max(0, index - MTP_SPAN + 1) : index + 1])
    return window[len(window) // 2]


def uint256_hex(value: int) -> str:
    return f"{value:064x}"


_HASH_HEX = re.compile("[0-9a-fA-F]{64}")


def is_hash_hex(text: str) -> bool:
    """Exactly 64 hex digits (either case), what Core and Esplora accept as a hash."""
    return _HASH_HEX.fullmatch(text) is not None
