"""What a node says about its mempool: which txids, when each entered, whether it has parents.

Bitcoin Core answers ``getrawmempool true`` and ``/rest/mempool/contents.json``
with the same object (txid -> entry with ``time`` and ``depends``); Esplora
lists txids only, so their entry time is unknown (``None``) and the caller
uses the first time it saw them. The verbose answer itself is decoded by
``verbose_mempool`` (loaded only by the commands that read a mempool).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from chainprice.adapters.node.errors import BadResponseError, RemoteError
from chainprice.adapters.node.headers import is_block_hash


class MempoolUnavailableError(RemoteError):
    """The node keeps no mempool of relayed transactions (``-blocksonly``, REST disabled)."""


@dataclass(frozen=True)
class MempoolEntry:
    txid: str
    """Display hex."""
    time: int | None
    """When it entered the node's mempool (unix seconds, the node's clock); None if unknown."""
    has_parent: bool
    """The node said it spends another unconfirmed transaction (Core's ``depends``)."""


def entry_from_json(txid: str, entry: Any, where: str) -> MempoolEntry:
    """One ``txid: {time, depends, ...}`` item of Core's verbose mempool answer."""
    if not is_block_hash(txid):
        raise BadResponseError(f"{where} lists {txid!r}, which is not a txid")
    try:
        time = int(entry["time"])
        depends = entry.get("depends", [])
        if not isinstance(depends, list):
            raise TypeError("depends is not a list")
    except (KeyError, TypeError, ValueError) as exc:
        raise BadResponseError(f"{where} has a malformed entry for {txid}: {exc!r}") from None
    return MempoolEntry(txid, time, bool(depends))


def entries_from_verbose(answer: Any, where: str) -> list[MempoolEntry]:
    """Every entry of a decoded verbose mempool answer (see ``verbose_mempool``)."""
    if not isinstance(answer, dict):
        raise BadResponseError(f"{where} is not an object of mempool entries")
    bad = next((t for t in answer if not is_block_hash(t)), None)
    if bad is not None:
        raise BadResponseError(f"{where} lists {bad!r}, which is not a txid")
    return [MempoolEntry(t, e.time, bool(e.depends)) for t, e in answer.items()]


def txids_from_list(answer: Any, where: str) -> list[str]:
    """A plain list of txids (``getrawmempool false``, Esplora's ``/mempool/txids``)."""
    if not isinstance(answer, list) or not all(
        isinstance(t, str) and is_block_hash(t) for t in answer
    ):
        raise BadResponseError(f"{where} is not a list of txids")
    return answer


def txid_rows(txids: Sequence[str]) -> np.ndarray:
    """Display-hex txids as an ``(n, 32)`` array in internal byte order (as blocks hash them)."""
    joined = b"".join(bytes.fromhex(t)[::-1] for t in txids)
    return np.frombuffer(joined, np.uint8).reshape(-1, 32)
