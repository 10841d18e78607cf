"""The compiled byte walk over one raw block (Bitcoin wire format).

Plain description of ``walk_block``: skip the 80-byte header, read the
transaction count, then for each transaction read, in order, the version,
the segwit marker and flag (bytes 4..5 equal to ``00 01``), the inputs
(previous txid, previous index, script, sequence), the outputs (value,
script), the witness stacks of a segwit transaction, and the locktime. It
fills preallocated columns and records, for each transaction, the three
byte ranges of its non-witness serialization so the txid can be hashed
without copying. Nothing is trusted: every read is bounds-checked, every
count is checked against the bytes left (an input needs at least 41 bytes, an
output 9, a witness item 1), and the walk must end exactly at the last byte.
On the first problem it stops and returns an error code and the byte offset.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
from numba import njit

HEADER_SIZE = 80
MIN_TX_SIZE = 60  # version, 1 input with empty script, 1 output with empty script, locktime
MIN_INPUT_SIZE = 41
MIN_OUTPUT_SIZE = 9
WITNESS_LIMIT = 500

FLAG_SEGWIT = 1
FLAG_COINBASE = 2
FLAG_OP_RETURN = 4
FLAG_LARGE_WITNESS = 8

OK = 0
ERR_TRUNCATED = 1
ERR_BAD_COUNT = 2
ERR_TRAILING = 3
ERR_NO_TX = 4

ERROR_REASONS = {
    ERR_TRUNCATED: "data ends in the middle of a field (truncated block)",
    ERR_BAD_COUNT: "a count or length runs past the end of the block (truncated or corrupt)",
    ERR_TRAILING: "bytes left over after the last transaction",
    ERR_NO_TX: "the block declares no transactions",
}


@njit(cache=True, nogil=True)
def _read_varint(buf, p, n):
    """CompactSize at ``p``: returns (value, next position); value -1 if truncated."""
    if p >= n:
        return -1, p
    first = buf[p]
    if first < 0xFD:
        return np.int64(first), p + 1
    width = 2 if first == 0xFD else (4 if first == 0xFE else 8)
    if p + 1 + width > n:
        return -1, p
    value = np.int64(0)
    for k in range(min(width, 7)):
        value |= np.int64(buf[p + 1 + k]) << (8 * k)
    if width == 8 and buf[p + 8] != 0:
        return np.int64(1) << 62, p + 9  # absurdly large: caught by the caller's size check
    return value, p + 1 + width


@njit(cache=True, nogil=True)
def _walk(buf, n_in, n_out, flags, spans, prev_txid, prev_vout, value):
    """Fill the columns; returns ``(status, error offset, n_tx, n_inputs, n_outputs)``."""
    n = buf.size
    if n < HEADER_SIZE + 1:
        return ERR_TRUNCATED, n, 0, 0, 0
    ntx, p = _read_varint(buf, HEADER_SIZE, n)
    if ntx < 0:
        return ERR_TRUNCATED, HEADER_SIZE, 0, 0, 0
    if ntx == 0:
        return ERR_NO_TX, HEADER_SIZE, 0, 0, 0
    if ntx > (n - p) // MIN_TX_SIZE:
        return ERR_BAD_COUNT, HEADER_SIZE, 0, 0, 0

    total_in = 0
    total_out = 0
    status = OK
    err = 0

    for t in range(ntx):
        start = p
        if p + 6 > n:
            status, err = ERR_TRUNCATED, p
            break
        segwit = buf[p + 4] == 0 and buf[p + 5] == 1
        p += 6 if segwit else 4
        body_start = p

        nin, q = _read_varint(buf, p, n)
        if nin < 0:
            status, err = ERR_TRUNCATED, p
            break
        if nin > (n - q) // MIN_INPUT_SIZE:
            status, err = ERR_BAD_COUNT, p
            break
        p = q
        coinbase = False
        bad = False
        for _ in range(nin):
            if p + 36 > n:
                status, err, bad = ERR_TRUNCATED, p, True
                break
            zero = True
            for k in range(32):
                byte = buf[p + k]
                prev_txid[total_in, k] = byte
                if byte != 0:
                    zero = False
            vout = (
                np.uint32(buf[p + 32])
                | (np.uint32(buf[p + 33]) << 8)
                | (np.uint32(buf[p + 34]) << 16)
                | (np.uint32(buf[p + 35]) << 24)
            )
            prev_vout[total_in] = vout
            if zero and vout == 0xFFFFFFFF:
                coinbase = True
            total_in += 1
            slen, q = _read_varint(buf, p + 36, n)
            if slen < 0:
                status, err, bad = ERR_TRUNCATED, p + 36, True
                break
            if slen + 4 > n - q:
                status, err, bad = ERR_BAD_COUNT, p + 36, True
                break
            p = q + slen + 4
        if bad:
            break

        nout, q = _read_varint(buf, p, n)
        if nout < 0:
            status, err = ERR_TRUNCATED, p
            break
        if nout > (n - q) // MIN_OUTPUT_SIZE:
            status, err = ERR_BAD_COUNT, p
            break
        p = q
        op_return = False
        for _ in range(nout):
            if p + 8 > n:
                status, err, bad = ERR_TRUNCATED, p, True
                break
            v = np.uint64(0)
            for k in range(8):
                v |= np.uint64(buf[p + k]) << np.uint64(8 * k)
            value[total_out] = v
            total_out += 1
            slen, q = _read_varint(buf, p + 8, n)
            if slen < 0:
                status, err, bad = ERR_TRUNCATED, p + 8, True
                break
            if slen > n - q:
                status, err, bad = ERR_BAD_COUNT, p + 8, True
                break
            if slen > 0 and buf[q] == 0x6A:
                op_return = True
            p = q + slen
        if bad:
            break
        body_end = p

        large_witness = False
        if segwit:
            for _ in range(nin):
                items, q = _read_varint(buf, p, n)
                if items < 0:
                    status, err, bad = ERR_TRUNCATED, p, True
                    break
                if items > n - q:
                    status, err, bad = ERR_BAD_COUNT, p, True
                    break
                p = q
                witness_total = 0
                for _ in range(items):
                    ilen, q = _read_varint(buf, p, n)
                    if ilen < 0:
                        status, err, bad = ERR_TRUNCATED, p, True
                        break
                    if ilen > n - q:
                        status, err, bad = ERR_BAD_COUNT, p, True
                        break
                    witness_total += ilen
                    p = q + ilen
                if bad:
                    break
                if witness_total > WITNESS_LIMIT:
                    large_witness = True
            if bad:
                break

        if p + 4 > n:
            status, err = ERR_TRUNCATED, p
            break
        p += 4

        n_in[t] = nin
        n_out[t] = nout
        f = np.uint8(0)
        if segwit:
            f |= FLAG_SEGWIT
            spans[t, 0] = start
            spans[t, 1] = start + 4
            spans[t, 2] = body_start
            spans[t, 3] = body_end
            spans[t, 4] = p - 4
            spans[t, 5] = p
        else:
            spans[t, 0] = start
            spans[t, 1] = p
            spans[t, 2:] = 0
        if coinbase:
            f |= FLAG_COINBASE
        if op_return:
            f |= FLAG_OP_RETURN
        if large_witness:
            f |= FLAG_LARGE_WITNESS
        flags[t] = f

    if status == OK and p != n:
        status, err = ERR_TRAILING, p
    if status != OK:
        return status, err, 0, 0, 0
    return OK, 0, ntx, total_in, total_out


class BlockWalk(NamedTuple):
    """What ``walk_block`` found: a status, and columns sized to the counts found."""

    status: int
    error_offset: int
    n_in: np.ndarray  # int32 per transaction
    n_out: np.ndarray  # int32 per transaction
    flags: np.ndarray  # uint8 FLAG_* bits per transaction
    spans: np.ndarray  # int64 (n_tx, 6): the non-witness byte ranges, for the txid
    prev_txid: np.ndarray  # uint8 (n_inputs, 32)
    prev_vout: np.ndarray  # uint32 (n_inputs,)
    value: np.ndarray  # uint64 (n_outputs,) satoshis


def walk_block(buf: np.ndarray) -> BlockWalk:
    """Walk one block (a read-only uint8 array); see the module docstring.

    Columns are allocated at their largest possible size, which costs nothing
    until written (the pages are untouched), and cut to the counts found.
    """
    n = buf.size
    body = max(n - HEADER_SIZE - 1, 0)
    n_in = np.empty(body // MIN_TX_SIZE, np.int32)
    n_out = np.empty_like(n_in)
    flags = np.empty(n_in.size, np.uint8)
    spans = np.empty((n_in.size, 6), np.int64)
    prev_txid = np.empty((body // MIN_INPUT_SIZE, 32), np.uint8)
    prev_vout = np.empty(prev_txid.shape[0], np.uint32)
    value = np.empty(body // MIN_OUTPUT_SIZE, np.uint64)
    status, error_offset, n_tx, n_inputs, n_outputs = _walk(
        buf, n_in, n_out, flags, spans, prev_txid, prev_vout, value
    )
    return BlockWalk(
        int(status),
        int(error_offset),
        n_in[:n_tx],
        n_out[:n_tx],
        flags[:n_tx],
        spans[:n_tx],
        prev_txid[:n_inputs],
        prev_vout[:n_inputs],
        value[:n_outputs],
    )
