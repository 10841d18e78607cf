"""Address and descriptor encodings Core prints next to every output script.

Base58Check (BIP13 legacy addresses), bech32/bech32m (BIP173, BIP350) and
the output-descriptor checksum (BIP380), written from the BIPs. Only what
``decodescript``-style output needs: encoding, never decoding.
"""

from __future__ import annotations

from chainprice.core.sha256d import double_sha256

MAINNET_HRP = "bc"
P2PKH_VERSION = 0x00
P2SH_VERSION = 0x05

_BASE58 = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"
_BECH32 = "qpzry9x8gf2tvdw0s3jn54khce6mua7l"
_BECH32_GEN = (0x3B6A57B2, 0x26508E6D, 0x1EA119FA, 0x3D4233DD, 0x2A1462B3)
_BECH32_CONST = 1
_BECH32M_CONST = 0x2BC830A3

_DESC_INPUT = (
    "0123456789()[],'/*abcdefgh@:$%{}"
    "IJKLMNOPQRSTUVWXYZ&+-.;<=>?!^_|~"
    'ijklmnopqrstuvwxyzABCDEFGH`#"\\ '
)
_DESC_GEN = (0xF5DEE51989, 0xA9FDCA3312, 0x1BAB10E32D, 0x3706B1677A, 0x644D626FFD)


def base58check(version: int, payload: bytes) -> str:
    data = bytes([version]) + payload
    data += double_sha256(data)[:4]
    n = int.from_bytes(data, "big")
    chars = []
    while n:
        n, r = divmod(n, 58)
        chars.append(_BASE58[r])
    zeros = len(data) - len(data.lstrip(b"\0"))
    return "1" * zeros + "".join(reversed(chars))


def _bech32_polymod(values: list[int]) -> int:
    chk = 1
    for v in values:
        top = chk >> 25
        chk = (chk & 0x1FFFFFF) << 5 ^ v
        for i, gen in enumerate(_BECH32_GEN):
            if (top >> i) & 1:
                chk ^= gen
    return chk


def _to_5bit(data: bytes) -> list[int]:
    acc = bits = 0
    out = []
    for byte in data:
        acc = (acc << 8) | byte
        bits += 8
        while bits >= 5:
            bits -= 5
            out.append((acc >> bits) & 31)
    if bits:
        out.append((acc << (5 - bits)) & 31)
    return out


def segwit_address(version: int, program: bytes, hrp: str = MAINNET_HRP) -> str:
    """bech32 for witness version 0, bech32m for 1 and above."""
    data = [version, *_to_5bit(program)]
    expanded = [ord(c) >> 5 for c in hrp] + [0] + [ord(c) & 31 for c in hrp]
    const = _BECH32_CONST if version == 0 else _BECH32M_CONST
    mod = _bech32_polymod(expanded + data + [0] * 6) ^ const
    checksum = [(mod >> 5 * (5 - i)) & 31 for i in range(6)]
    return hrp + "1" + "".join(_BECH32[d] for d in data + checksum)


def _desc_polymod(symbols: list[int]) -> int:
    chk = 1
    for value in symbols:
        top = chk >> 35
        chk = (chk & 0x7FFFFFFFF) << 5 ^ value
        for i, gen in enumerate(_DESC_GEN):
            if (top >> i) & 1:
                chk ^= gen
    return chk


def with_descriptor_checksum(desc: str) -> str:
    """``desc#checksum``: eight bech32 characters over the descriptor's character classes."""
    symbols: list[int] = []
    groups: list[int] = []
    for c in desc:
        position = _DESC_INPUT.index(c)
        symbols.append(position & 31)
        groups.append(position >> 5)
        if len(groups) == 3:
            symbols.append(groups[0] * 9 + groups[1] * 3 + groups[2])
            groups = []
    if len(groups) == 1:
        symbols.append(groups[0])
    elif len(groups) == 2:
        symbols.append(groups[0] * 3 + groups[1])
    mod = _desc_polymod(symbols + [0] * 8) ^ 1
    return desc + "#" + "".join(_BECH32[(mod >> 5 * (7 - i)) & 31] for i in range(8))
