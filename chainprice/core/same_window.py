"""Same-window spends: does a transaction spend an output created earlier in the window?

Plain description of the compiled ``_spends`` loop: every txid of the window
goes into an open-addressing hash table keyed by its first 8 bytes (already
uniformly random, being a hash), storing the transaction's index. Then, for
each transaction under test, each input's previous txid is looked up; a hit
counts only if the full 32 bytes match and the found transaction is not later
in the window than the spender (a transaction's own txid is in the set before
its inputs are checked, as in the reference). Every input is checked and the
latest funding transaction kept, so the lake can store, per transaction, the
height of the latest transaction it spends, and re-apply the rule for any
window start later.
"""

from __future__ import annotations

import numpy as np
from numba import njit


@njit(cache=True, nogil=True)
def _latest_funding(keys, txid, prev_keys, prev_txid, in_start, test):
    n = keys.size
    size = 2
    while size < 2 * n:
        size <<= 1
    mask = np.uint64(size - 1)
    table = np.full(size, -1, np.int64)
    for i in range(n):
        slot = keys[i] & mask
        while table[slot] != -1:
            slot = (slot + np.uint64(1)) & mask
        table[slot] = i
    result = np.full(n, -1, np.int64)
    for i in range(n):
        if not test[i]:
            continue
        for k in range(in_start[i], in_start[i + 1]):
            key = prev_keys[k]
            slot = key & mask
            while table[slot] != -1:
                j = table[slot]
                if j <= i and keys[j] == key:
                    same = True
                    for b in range(8, 32):
                        if txid[j, b] != prev_txid[k, b]:
                            same = False
                            break
                    if same and j > result[i]:
                        result[i] = j
                slot = (slot + np.uint64(1)) & mask
    return result


def _prefix_keys(hashes: np.ndarray) -> np.ndarray:
    return np.ascontiguousarray(hashes[:, :8]).view("<u8").ravel()


def latest_funding(
    txid: np.ndarray, prev_txid: np.ndarray, in_start: np.ndarray, test: np.ndarray
) -> np.ndarray:
    """Per transaction, the index of the latest earlier-or-same transaction it spends, else -1.

    Only transactions with ``test`` set are looked up (the others get -1).
    """
    if txid.shape[0] == 0:
        return np.zeros(0, np.int64)
    return _latest_funding(
        _prefix_keys(txid), txid, _prefix_keys(prev_txid), prev_txid, in_start, test
    )


def same_window_spends(
    txid: np.ndarray, prev_txid: np.ndarray, in_start: np.ndarray, test: np.ndarray
) -> np.ndarray:
    """Boolean per transaction: True where ``test`` is set and an input spends a window txid."""
    return latest_funding(txid, prev_txid, in_start, test) >= 0
