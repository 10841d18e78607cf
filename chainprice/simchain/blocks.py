"""Coinbase, witness commitment, header and the final block bytes.

These are per block, not per transaction, so plain Python is fine here.
"""

from __future__ import annotations

import struct
from collections.abc import Sequence

import numpy as np

from chainprice.core.sha256d import double_sha256, merkle_root
from chainprice.simchain.amounts import COIN
from chainprice.simchain.scripts import SEQUENCE_FINAL, compact_size, push_opcode
from chainprice.simchain.transactions import TxBatch, ordered_transactions

NULL_PREVOUT = bytes(32) + b"\xff\xff\xff\xff"
WITNESS_RESERVED = bytes(32)
COMMITMENT_HEADER = b"\x6a\x24\xaa\x21\xa9\xed"
COINBASE_TAG = b"/simchain/"
BITS = 0x17030ECD
"""Difficulty field of the headers (mainnet-like; proof of work is not valid)."""
HALVING_INTERVAL = 210_000


def bip34_height(height: int) -> bytes:
    """The height as the first push of a coinbase scriptSig (minimal CScriptNum, BIP34)."""
    if height == 0:
        return b"\x00"
    if height <= 16:
        return bytes([0x50 + height])
    num = height.to_bytes((height.bit_length() + 8) // 8, "little")
    return push_opcode(len(num)) + num


def subsidy(height: int) -> int:
    halvings = height // HALVING_INTERVAL
    return (50 * COIN) >> halvings if halvings < 64 else 0


def witness_commitment(wtxids: np.ndarray) -> bytes:
    """BIP141 commitment over the block's non-coinbase wtxids (the coinbase counts as zero)."""
    leaves = np.concatenate([np.zeros((1, 32), np.uint8), wtxids.reshape(-1, 32)])
    return double_sha256(merkle_root(leaves) + WITNESS_RESERVED)


def coinbase(
    height: int, reward: int, commitment: bytes, extranonce: bytes, payout: bytes
) -> tuple[bytes, bytes]:
    """Segwit coinbase paying ``reward`` to a P2WPKH key hash; returns ``(raw, txid)``."""
    script_sig = (
        bip34_height(height)
        + push_opcode(len(extranonce))
        + extranonce
        + push_opcode(len(COINBASE_TAG))
        + COINBASE_TAG
    )
    commit_script = COMMITMENT_HEADER + commitment
    version = struct.pack("<I", 2)
    body = (
        b"\x01"
        + NULL_PREVOUT
        + compact_size(len(script_sig))
        + script_sig
        + struct.pack("<I", SEQUENCE_FINAL)
        + b"\x02"
        + struct.pack("<Q", reward)
        + b"\x16\x00\x14"
        + payout
        + struct.pack("<Q", 0)
        + compact_size(len(commit_script))
        + commit_script
    )
    witness = b"\x01" + compact_size(len(WITNESS_RESERVED)) + WITNESS_RESERVED
    locktime = bytes(4)
    raw = version + b"\x00\x01" + body + witness + locktime
    return raw, double_sha256(version + body + locktime)


def header(version: int, prev: bytes, merkle: bytes, time: int, nonce: int) -> bytes:
    return struct.pack("<I32s32sIII", version, prev, merkle, time, BITS, nonce)


def block_bytes(
    raw_header: bytes, coinbase_tx: bytes, batches: Sequence[TxBatch], order: np.ndarray
) -> bytes:
    """Header, count, coinbase, then the batches' transactions in ``order``.

    Joining memoryview slices copies each transaction once, several times
    faster than a numpy gather with a per-byte index.
    """
    txs = ordered_transactions(batches, order)
    return b"".join([raw_header, compact_size(len(txs) + 1), coinbase_tx, *txs])
