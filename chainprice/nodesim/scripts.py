"""What Core prints about a script: its asm, its type, its address and its descriptor.

Verbose blocks and transactions show each output as ``{"asm", "desc",
"hex", "address", "type"}`` and each input's scriptSig as ``{"asm", "hex"}``.
Clients match on these strings, so they follow Core's rules: pushes of up
to four bytes print as numbers, signatures in a scriptSig print their
sighash type (``[ALL]``), a taproot output whose key is a curve point gets a
``rawtr()`` descriptor and any other one an ``addr()``.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

from chainprice.nodesim.addresses import (
    P2PKH_VERSION,
    P2SH_VERSION,
    base58check,
    segwit_address,
    with_descriptor_checksum,
)

OP_0 = 0x00
OP_PUSHDATA1 = 0x4C
OP_PUSHDATA2 = 0x4D
OP_PUSHDATA4 = 0x4E
OP_1NEGATE = 0x4F
OP_1 = 0x51
OP_16 = 0x60
OP_RETURN = 0x6A
OP_DUP = 0x76
OP_EQUAL = 0x87
OP_EQUALVERIFY = 0x88
OP_HASH160 = 0xA9
OP_CHECKSIG = 0xAC
OP_CHECKMULTISIG = 0xAE
MAX_SCRIPT_SIZE = 10_000

_NAMED_OPS = [
    "OP_NOP",
    "OP_VER",
    "OP_IF",
    "OP_NOTIF",
    "OP_VERIF",
    "OP_VERNOTIF",
    "OP_ELSE",
    "OP_ENDIF",
    "OP_VERIFY",
    "OP_RETURN",
    "OP_TOALTSTACK",
    "OP_FROMALTSTACK",
    "OP_2DROP",
    "OP_2DUP",
    "OP_3DUP",
    "OP_2OVER",
    "OP_2ROT",
    "OP_2SWAP",
    "OP_IFDUP",
    "OP_DEPTH",
    "OP_DROP",
    "OP_DUP",
    "OP_NIP",
    "OP_OVER",
    "OP_PICK",
    "OP_ROLL",
    "OP_ROT",
    "OP_SWAP",
    "OP_TUCK",
    "OP_CAT",
    "OP_SUBSTR",
    "OP_LEFT",
    "OP_RIGHT",
    "OP_SIZE",
    "OP_INVERT",
    "OP_AND",
    "OP_OR",
    "OP_XOR",
    "OP_EQUAL",
    "OP_EQUALVERIFY",
    "OP_RESERVED1",
    "OP_RESERVED2",
    "OP_1ADD",
    "OP_1SUB",
    "OP_2MUL",
    "OP_2DIV",
    "OP_NEGATE",
    "OP_ABS",
    "OP_NOT",
    "OP_0NOTEQUAL",
    "OP_ADD",
    "OP_SUB",
    "OP_MUL",
    "OP_DIV",
    "OP_MOD",
    "OP_LSHIFT",
    "OP_RSHIFT",
    "OP_BOOLAND",
    "OP_BOOLOR",
    "OP_NUMEQUAL",
    "OP_NUMEQUALVERIFY",
    "OP_NUMNOTEQUAL",
    "OP_LESSTHAN",
    "OP_GREATERTHAN",
    "OP_LESSTHANOREQUAL",
    "OP_GREATERTHANOREQUAL",
    "OP_MIN",
    "OP_MAX",
    "OP_WITHIN",
    "OP_RIPEMD160",
    "OP_SHA1",
    "OP_SHA256",
    "OP_HASH160",
    "OP_HASH256",
    "OP_CODESEPARATOR",
    "OP_CHECKSIG",
    "OP_CHECKSIGVERIFY",
    "OP_CHECKMULTISIG",
    "OP_CHECKMULTISIGVERIFY",
    "OP_NOP1",
    "OP_CHECKLOCKTIMEVERIFY",
    "OP_CHECKSEQUENCEVERIFY",
    "OP_NOP4",
    "OP_NOP5",
    "OP_NOP6",
    "OP_NOP7",
    "OP_NOP8",
    "OP_NOP9",
    "OP_NOP10",
    "OP_CHECKSIGADD",
]
"""Names of opcodes 0x61 (OP_NOP) to 0xba (OP_CHECKSIGADD), in order."""

_SIGHASH_NAMES = {
    0x01: "ALL",
    0x02: "NONE",
    0x03: "SINGLE",
    0x81: "ALL|ANYONECANPAY",
    0x82: "NONE|ANYONECANPAY",
    0x83: "SINGLE|ANYONECANPAY",
}
_SECP256K1_P = 2**256 - 2**32 - 977


def op_name(opcode: int) -> str:
    if opcode == OP_0:
        return "0"
    if opcode == OP_1NEGATE:
        return "-1"
    if OP_1 <= opcode <= OP_16:
        return str(opcode - OP_1 + 1)
    if OP_PUSHDATA1 <= opcode <= OP_PUSHDATA4:
        return ("OP_PUSHDATA1", "OP_PUSHDATA2", "OP_PUSHDATA4")[opcode - OP_PUSHDATA1]
    if opcode == 0x50:
        return "OP_RESERVED"
    if 0x61 <= opcode <= 0xBA:
        return _NAMED_OPS[opcode - 0x61]
    return "OP_INVALIDOPCODE" if opcode == 0xFF else "OP_UNKNOWN"


def script_ops(script: bytes) -> tuple[list[tuple[int, bytes | None]], bool]:
    """``(opcode, pushed data or None)`` in order, and whether the script parsed to its end."""
    ops: list[tuple[int, bytes | None]] = []
    i, n = 0, len(script)
    while i < n:
        opcode = script[i]
        i += 1
        if opcode > OP_PUSHDATA4:
            ops.append((opcode, None))
            continue
        if opcode < OP_PUSHDATA1:
            size = opcode
        else:
            width = {OP_PUSHDATA1: 1, OP_PUSHDATA2: 2, OP_PUSHDATA4: 4}[opcode]
            if i + width > n:
                return ops, False
            size = int.from_bytes(script[i : i + width], "little")
            i += width
        if i + size > n:
            return ops, False
        ops.append((opcode, script[i : i + size]))
        i += size
    return ops, True


def _script_num(data: bytes) -> int:
    """A minimal CScriptNum (little-endian, sign bit in the last byte)."""
    if not data:
        return 0
    value = int.from_bytes(data, "little")
    if data[-1] & 0x80:
        return -(value & ~(0x80 << (8 * (len(data) - 1))))
    return value


def _is_der_signature(sig: bytes) -> bool:
    """Core's strict DER check (BIP66) of a signature with its trailing sighash byte."""
    n = len(sig)
    if n < 9 or n > 73 or sig[0] != 0x30 or sig[1] != n - 3:
        return False
    len_r = sig[3]
    if 5 + len_r >= n:
        return False
    len_s = sig[5 + len_r]
    if len_r + len_s + 7 != n or sig[2] != 0x02 or len_r == 0 or sig[4] & 0x80:
        return False
    if len_r > 1 and sig[4] == 0 and not sig[5] & 0x80:
        return False
    if sig[len_r + 4] != 0x02 or len_s == 0 or sig[len_r + 6] & 0x80:
        return False
    return not (len_s > 1 and sig[len_r + 6] == 0 and not sig[len_r + 7] & 0x80)


def script_asm(script: bytes, *, sighash_decode: bool = False) -> str:
    """Core's ``ScriptToAsmStr``: small pushes as numbers, data as hex, opcodes by name."""
    ops, complete = script_ops(script)
    unspendable = (script[:1] == bytes([OP_RETURN])) or len(script) > MAX_SCRIPT_SIZE
    words = []
    for opcode, data in ops:
        if data is None:
            words.append(op_name(opcode))
        elif len(data) <= 4:
            words.append(str(_script_num(data)))
        elif sighash_decode and not unspendable and _is_der_signature(data):
            name = _SIGHASH_NAMES.get(data[-1])
            words.append(data[:-1].hex() + f"[{name}]" if name else data.hex())
        else:
            words.append(data.hex())
    if not complete:
        words.append("[error]")
    return " ".join(words)


@dataclass(frozen=True)
class ScriptInfo:
    """The ``scriptPubKey`` fields Core derives from an output script."""

    type: str
    address: str | None
    desc: str


def _witness_program(script: bytes) -> tuple[int, bytes] | None:
    if not 4 <= len(script) <= 42 or script[1] + 2 != len(script):
        return None
    if script[0] == OP_0:
        return 0, script[2:]
    if OP_1 <= script[0] <= OP_16:
        return script[0] - OP_1 + 1, script[2:]
    return None


def _pubkey_size_ok(key: bytes) -> bool:
    expected = {2: 33, 3: 33, 4: 65, 6: 65, 7: 65}.get(key[0]) if key else None
    return expected == len(key)


def _x_on_curve(xonly: bytes) -> bool:
    """Whether a 32-byte x coordinate names a secp256k1 point (what ``rawtr()`` needs)."""
    x = int.from_bytes(xonly, "big")
    if x >= _SECP256K1_P:
        return False
    rhs = (pow(x, 3, _SECP256K1_P) + 7) % _SECP256K1_P
    return rhs == 0 or pow(rhs, (_SECP256K1_P - 1) // 2, _SECP256K1_P) == 1


def _multisig(script: bytes) -> tuple[int, list[bytes]] | None:
    if not script or script[-1] != OP_CHECKMULTISIG:
        return None
    ops, complete = script_ops(script)
    if not complete or len(ops) < 4:
        return None
    (first, _), *middle, (last, _), _ = ops
    keys = [data for _, data in middle]
    if not all(OP_1 <= op <= OP_16 for op in (first, last)):
        return None
    required, total = first - OP_1 + 1, last - OP_1 + 1
    if any(k is None or not _pubkey_size_ok(k) for k in keys) or len(keys) != total:
        return None
    if required > total:
        return None
    return required, [k for k in keys if k is not None]


def _is_push_only(script: bytes) -> bool:
    ops, complete = script_ops(script)
    return complete and all(op <= OP_16 for op, _ in ops)


def _desc(body: str) -> str:
    return with_descriptor_checksum(body)


@lru_cache(maxsize=65_536)
def script_info(script: bytes) -> ScriptInfo:
    """Core's ``Solver`` type, ``ExtractDestination`` address and inferred descriptor."""
    if len(script) == 23 and script[:2] == b"\xa9\x14" and script[-1] == OP_EQUAL:
        address = base58check(P2SH_VERSION, script[2:22])
        return ScriptInfo("scripthash", address, _desc(f"addr({address})"))
    program = _witness_program(script)
    if program is not None:
        version, data = program
        if version == 0 and len(data) in (20, 32):
            address = segwit_address(0, data)
            kind = "witness_v0_keyhash" if len(data) == 20 else "witness_v0_scripthash"
            return ScriptInfo(kind, address, _desc(f"addr({address})"))
        if version == 0:
            return ScriptInfo("nonstandard", None, _desc(f"raw({script.hex()})"))
        address = segwit_address(version, data)
        if version == 1 and len(data) == 32:
            body = f"rawtr({data.hex()})" if _x_on_curve(data) else f"addr({address})"
            return ScriptInfo("witness_v1_taproot", address, _desc(body))
        kind = "anchor" if (version, data) == (1, b"\x4e\x73") else "witness_unknown"
        return ScriptInfo(kind, address, _desc(f"addr({address})"))
    if script[:1] == bytes([OP_RETURN]) and _is_push_only(script[1:]):
        return ScriptInfo("nulldata", None, _desc(f"raw({script.hex()})"))
    if len(script) in (35, 67) and script[0] == len(script) - 2 and script[-1] == OP_CHECKSIG:
        key = script[1:-1]
        if _pubkey_size_ok(key):
            body = f"pk({key.hex()})" if key[0] in (2, 3, 4) else f"raw({script.hex()})"
            return ScriptInfo("pubkey", None, _desc(body))
    if (
        len(script) == 25
        and script[:3] == bytes([OP_DUP, OP_HASH160, 20])
        and script[23:] == bytes([OP_EQUALVERIFY, OP_CHECKSIG])
    ):
        address = base58check(P2PKH_VERSION, script[3:23])
        return ScriptInfo("pubkeyhash", address, _desc(f"addr({address})"))
    multisig = _multisig(script)
    if multisig is not None:
        required, keys = multisig
        if all(k[0] in (2, 3, 4) for k in keys):
            body = f"multi({required}," + ",".join(k.hex() for k in keys) + ")"
        else:
            body = f"raw({script.hex()})"
        return ScriptInfo("multisig", None, _desc(body))
    return ScriptInfo("nonstandard", None, _desc(f"raw({script.hex()})"))


def script_pubkey_json(script: bytes) -> dict[str, str]:
    """Core's ``ScriptToUniv`` with hex and address: asm, desc, hex, address, type."""
    info = script_info(script)
    out = {"asm": script_asm(script), "desc": info.desc, "hex": script.hex()}
    if info.address is not None:
        out["address"] = info.address
    out["type"] = info.type
    return out
