"""What can go wrong when asking a node or a price API, one class per thing a user must fix.

All are ``core.errors.SourceError``: callers that only report catch that one
type; callers that react (fall back, skip a transaction gone from the mempool)
catch the precise class.
"""

from __future__ import annotations

from chainprice.core.errors import SourceError


class RemoteError(SourceError):
    """Base of the errors raised while talking to a node or a price API over HTTP."""


class ConfigError(RemoteError):
    """Settings that cannot work (no URL scheme, zero workers, unreadable cookie file)."""


class UnreachableError(RemoteError):
    """No answer at all: connection refused, DNS failure, dropped or cut-short answers."""


class RequestTimeoutError(RemoteError):
    """The server accepted the connection but did not answer in time, every attempt."""


class TlsError(RemoteError):
    """The server's TLS certificate was refused (a retry cannot fix it)."""


class AuthError(RemoteError):
    """HTTP 401: the server refused the credentials or the tunnel's service token."""


class NotFoundError(RemoteError):
    """The server does not have what was asked: unknown hash, height past the tip."""


class PrunedBlockError(NotFoundError):
    """The node has the block's header but discarded its data (a pruned Bitcoin Core)."""

    def __init__(self, block_hash: str, prune_height: int | None) -> None:
        keeps = (
            f"it keeps blocks from height {prune_height} up"
            if prune_height is not None
            else "it did not say from which height it keeps blocks"
        )
        super().__init__(
            f"the node is pruned and no longer has block {block_hash} ({keeps}): price a later "
            "day, or use a node without pruning (prune=0, which needs a full resync)"
        )
        self.prune_height = prune_height

    @classmethod
    def from_chaininfo(cls, block_hash: str, info: object) -> PrunedBlockError:
        """From a ``getblockchaininfo`` (or REST ``chaininfo.json``) answer's ``pruneheight``."""
        value = info.get("pruneheight") if isinstance(info, dict) else None
        usable = isinstance(value, int) and not isinstance(value, bool)
        return cls(block_hash, value if usable else None)


class RefusedError(RemoteError):
    """Any other HTTP 4xx: the server understood the request and will not serve it."""


class BadResponseError(RemoteError):
    """An answer that is not what the protocol promises (bad JSON, wrong length, 5xx to the end)."""


class RpcError(RemoteError):
    """A JSON-RPC error object from Bitcoin Core, with its numeric ``code``."""

    def __init__(self, message: str, code: int) -> None:
        super().__init__(message)
        self.code = code


class BlockCheckError(RemoteError):
    """A block whose bytes failed verification on every attempt; it is never used."""


class BlockFetchError(RemoteError):
    """Fetching one block failed; ``height`` names it, the cause is chained."""

    def __init__(self, height: int, message: str) -> None:
        super().__init__(f"block {height}: {message}")
        self.height = height
