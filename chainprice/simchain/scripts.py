"""Byte patterns of scripts, signatures and witness items.

A pattern (``Blob``) is a sequence of segments: ``bytes`` are fixed (opcodes,
DER framing, push lengths), an ``int`` is that many random bytes (keys,
hashes, signature scalars). Transactions are laid out from these patterns
once per shape and then filled in bulk, so nothing here touches real data.
"""

from __future__ import annotations

from dataclasses import dataclass

Segment = bytes | int
Blob = tuple[Segment, ...]

SEQUENCE_FINAL = 0xFFFFFFFF
SEQUENCE_RBF = 0xFFFFFFFD


def compact_size(n: int) -> bytes:
    """Bitcoin's CompactSize encoding of a count or length."""
    if n < 0xFD:
        return bytes([n])
    if n <= 0xFFFF:
        return b"\xfd" + n.to_bytes(2, "little")
    if n <= 0xFFFFFFFF:
        return b"\xfe" + n.to_bytes(4, "little")
    return b"\xff" + n.to_bytes(8, "little")


def push_opcode(n: int) -> bytes:
    """Opcode(s) that push ``n`` bytes inside a script."""
    if n <= 75:
        return bytes([n])
    if n <= 0xFF:
        return b"\x4c" + bytes([n])
    return b"\x4d" + n.to_bytes(2, "little")


def blob_len(blob: Blob) -> int:
    return sum(seg if isinstance(seg, int) else len(seg) for seg in blob)


def pushed(blob: Blob) -> Blob:
    """``blob`` preceded by the push opcode of its length (for scriptSigs)."""
    return (push_opcode(blob_len(blob)), *blob)


def der_signature(low_r: bool) -> Blob:
    """ECDSA signature with sighash byte: 71 bytes with a low R, 72 with a high one."""
    if low_r:
        return (b"\x30\x44\x02\x20", 32, b"\x02\x20", 32, b"\x01")
    return (b"\x30\x45\x02\x21\x00", 32, b"\x02\x20", 32, b"\x01")


PUBKEY: Blob = (b"\x02", 32)
SCHNORR_SIGNATURE: Blob = (64,)
CONTROL_BLOCK: Blob = (b"\xc0", 32)

P2WPKH: Blob = (b"\x00\x14", 20)
P2PKH: Blob = (b"\x76\xa9\x14", 20, b"\x88\xac")
P2SH: Blob = (b"\xa9\x14", 20, b"\x87")
P2TR: Blob = (b"\x51\x20", 32)
P2WSH: Blob = (b"\x00\x20", 32)

_ENVELOPE_HEAD = b"\xac\x00\x63\x03ord"  # OP_CHECKSIG OP_FALSE OP_IF "ord"
MIN_TAPSCRIPT = 1 + 32 + len(_ENVELOPE_HEAD) + 1


def op_return(data_len: int) -> Blob:
    return (b"\x6a" + push_opcode(data_len), data_len)


def inscription_script(length: int) -> Blob:
    """Tapscript of an ordinals-style envelope, exactly ``length`` bytes long."""
    if length < MIN_TAPSCRIPT:
        raise ValueError(f"a tapscript envelope needs at least {MIN_TAPSCRIPT} bytes")
    return (b"\x20", 32, _ENVELOPE_HEAD, length - MIN_TAPSCRIPT, b"\x68")


@dataclass(frozen=True)
class InputType:
    """How one input is unlocked: its scriptSig, witness items and sequence."""

    script_sig: Blob = ()
    witness: tuple[Blob, ...] = ()
    sequence: int = SEQUENCE_RBF


def p2wpkh_input(low_r: bool) -> InputType:
    return InputType(witness=(der_signature(low_r), PUBKEY))


def nested_p2wpkh_input(low_r: bool) -> InputType:
    """P2SH-wrapped P2WPKH: a 23-byte scriptSig plus the usual witness."""
    return InputType(script_sig=pushed((b"\x00\x14", 20)), witness=(der_signature(low_r), PUBKEY))


def p2pkh_input(low_r: bool) -> InputType:
    sig = pushed(der_signature(low_r))
    return InputType(script_sig=(*sig, *pushed(PUBKEY)), sequence=SEQUENCE_FINAL)


def taproot_key_input() -> InputType:
    return InputType(witness=(SCHNORR_SIGNATURE,))


def tapscript_input(script_len: int) -> InputType:
    """Script-path spend; its witness items total ``64 + script_len + 33`` bytes."""
    return InputType(witness=(SCHNORR_SIGNATURE, inscription_script(script_len), CONTROL_BLOCK))


TAPSCRIPT_OVERHEAD = blob_len(SCHNORR_SIGNATURE) + blob_len(CONTROL_BLOCK)
"""Witness bytes of a script-path spend besides the script itself."""
