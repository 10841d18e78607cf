"""Double SHA-256 of many byte spans at once (txids, merkle nodes, header hashes).

Hashing every transaction of a day is the floor of the whole computation, and
with ``hashlib`` the cost is not the hashing but the ~1 µs Python overhead per
call. So the hot path is a numba loop that calls OpenSSL's ``SHA256_Init`` /
``SHA256_Update`` / ``SHA256_Final`` directly (the very library ``hashlib``
already loaded; on CPUs with SHA extensions it hashes at ~1.7 GB/s).

Plain description of the compiled loop (``_hash_spans_openssl``): for each row
``r`` of ``spans`` (three ``[start, end)`` byte ranges of ``buf``), feed the
three ranges in order to one SHA-256 context, then hash the 32-byte digest
once more and write it to ``out[r]``. Three ranges are enough to express a
segwit transaction's non-witness serialization (version, inputs+outputs,
locktime) without copying it.

Where OpenSSL's low-level functions cannot be found (not Linux, or an OpenSSL
without them), the same contract is met with ``hashlib``, only slower.
"""

from __future__ import annotations

import ctypes
import hashlib
from pathlib import Path

import llvmlite.binding as llvm
import numpy as np
from numba import njit, types


def _find_libcrypto() -> str | None:
    """Path of the libcrypto that ``hashlib`` uses, if it has the low-level API."""
    import _hashlib  # noqa: F401  (loads libcrypto into this process)

    maps = Path("/proc/self/maps")
    if not maps.exists():
        return None
    for line in maps.read_text().splitlines():
        path = line.split()[-1]
        if "libcrypto" in Path(path).name:
            lib = ctypes.CDLL(path)
            if all(hasattr(lib, name) for name in ("SHA256_Init", "SHA256_Update", "SHA256_Final")):
                return path
            return None
    return None


LIBCRYPTO = _find_libcrypto()

if LIBCRYPTO is not None:
    llvm.load_library_permanently(LIBCRYPTO)
    _sha_init = types.ExternalFunction("SHA256_Init", types.intc(types.uintp))
    _sha_update = types.ExternalFunction(
        "SHA256_Update", types.intc(types.uintp, types.uintp, types.uintp)
    )
    _sha_final = types.ExternalFunction("SHA256_Final", types.intc(types.uintp, types.uintp))

    @njit(cache=True, nogil=True)
    def _double(ctx: int, first: int, src: int, n: int, dst: int) -> None:
        _sha_init(ctx)
        _sha_update(ctx, src, n)
        _sha_final(first, ctx)
        _sha_init(ctx)
        _sha_update(ctx, first, 32)
        _sha_final(dst, ctx)

    @njit(cache=True, nogil=True)
    def _hash_spans_openssl(buf: np.ndarray, spans: np.ndarray, out: np.ndarray) -> None:
        ctx = np.empty(256, np.uint8)  # SHA256_CTX is 112 bytes; room to spare
        first = np.empty(32, np.uint8)
        c = ctx.ctypes.data
        f = first.ctypes.data
        base = buf.ctypes.data
        dst = out.ctypes.data
        for r in range(spans.shape[0]):
            _sha_init(c)
            for s in range(3):
                a = spans[r, 2 * s]
                b = spans[r, 2 * s + 1]
                if b > a:
                    _sha_update(c, base + a, b - a)
            _sha_final(f, c)
            _sha_init(c)
            _sha_update(c, f, 32)
            _sha_final(dst + 32 * r, c)

    @njit(cache=True, nogil=True)
    def _merkle_openssl(txids: np.ndarray) -> tuple[np.ndarray, bool]:
        """Hash each level in place: node i of the next level overwrites row i."""
        m = txids.shape[0]
        level = np.empty((m + 1, 32), np.uint8)
        for i in range(m):  # element loops: numba compiles 2-D slice copies very slowly
            for b in range(32):
                level[i, b] = txids[i, b]
        ctx = np.empty(256, np.uint8)
        first = np.empty(32, np.uint8)
        c = ctx.ctypes.data
        f = first.ctypes.data
        base = level.ctypes.data
        mutated = False
        while m > 1:
            for i in range(0, m - 1, 2):
                same = True
                for b in range(32):
                    if level[i, b] != level[i + 1, b]:
                        same = False
                        break
                mutated |= same
            if m % 2:
                for b in range(32):
                    level[m, b] = level[m - 1, b]
                m += 1
            for i in range(m // 2):
                _double(c, f, base + 64 * i, 64, base + 32 * i)
            m //= 2
        return level[0].copy(), mutated


def _hash_spans_hashlib(buf: np.ndarray, spans: np.ndarray, out: np.ndarray) -> None:
    view = memoryview(buf)
    sha = hashlib.sha256
    for r, (a0, b0, a1, b1, a2, b2) in enumerate(spans.tolist()):
        h = sha(view[a0:b0])
        if b1 > a1:
            h.update(view[a1:b1])
        if b2 > a2:
            h.update(view[a2:b2])
        out[r] = np.frombuffer(sha(h.digest()).digest(), np.uint8)


def double_sha256_spans(
    buf: np.ndarray, spans: np.ndarray, *, portable: bool = False
) -> np.ndarray:
    """Double SHA-256 of each row's concatenated spans, as an ``(n, 32)`` uint8 array.

    ``portable=True`` forces the ``hashlib`` path (used to test both agree).
    """
    out = np.empty((spans.shape[0], 32), np.uint8)
    if spans.shape[0] == 0:
        return out
    if LIBCRYPTO is not None and not portable:
        _hash_spans_openssl(buf, spans, out)
    else:
        _hash_spans_hashlib(buf, spans, out)
    return out


def double_sha256(data: bytes) -> bytes:
    """Double SHA-256 of one byte string (headers, small one-off values)."""
    return hashlib.sha256(hashlib.sha256(data).digest()).digest()


def merkle_root(txids: np.ndarray) -> bytes:
    """Bitcoin merkle root of an ``(n, 32)`` array of txids in internal byte order."""
    return merkle_tree(txids)[0]


def merkle_tree(txids: np.ndarray, *, portable: bool = False) -> tuple[bytes, bool]:
    """The merkle root of ``txids`` (see ``merkle_root``), and whether the tree is mutated.

    A tree is *mutated* when the tree is *mutated*: two identical hashes paired at
    some level. Such a block keeps the root of a shorter block (repeated
    trailing transactions, CVE-2012-2459), so it must be refused, as Bitcoin
    Core does. Pairs of a level are adjacent rows, so each parent is the double
    hash of 64 contiguous bytes; the last row is doubled when a level is odd.
    """
    level = np.ascontiguousarray(txids, dtype=np.uint8)
    if level.shape[0] == 0:
        raise ValueError("a block has at least one transaction")
    if LIBCRYPTO is not None and not portable:
        root, mutated = _merkle_openssl(level)
        return root.tobytes(), bool(mutated)
    nodes = [row.tobytes() for row in level]
    mutated = False
    while len(nodes) > 1:
        mutated |= any(nodes[i] == nodes[i + 1] for i in range(0, len(nodes) - 1, 2))
        if len(nodes) % 2:
            nodes.append(nodes[-1])
        nodes = [double_sha256(nodes[i] + nodes[i + 1]) for i in range(0, len(nodes), 2)]
    return nodes[0], mutated
