"""What the product needs from any node, and the one function that opens a node by URL."""

from __future__ import annotations

from typing import Literal, Protocol
from urllib.parse import urlsplit

from chainprice.adapters.node.config import NodeConfig
from chainprice.adapters.node.errors import ConfigError
from chainprice.adapters.node.esplora import EsploraSource
from chainprice.adapters.node.http import redact
from chainprice.adapters.node.rest import RestSource
from chainprice.adapters.node.rpc import RpcSource
from chainprice.adapters.node.stats import FetchStats

SourceKind = Literal["rpc", "rest", "esplora"]

__all__ = ["BlockSource", "FetchStats", "NodeConfig", "SourceKind", "open_source"]


class BlockSource(Protocol):
    """What the product needs from any node: headers by height, raw blocks by hash, tip, mempool.

    Sources may also carry ``header_batch``, how many headers one ``headers``
    call fetches cheaply (``NodeChain`` sizes its prefetch by it).
    """

    stats: FetchStats

    def tip_height(self) -> int:
        """Height of the best block."""
        ...

    def block_hash(self, height: int) -> str:
        """Display hex of the block hash at ``height``."""
        ...

    def headers(self, start: int, count: int) -> list[bytes]:
        """Raw 80-byte headers of heights ``start..``, fewer if the tip is reached."""
        ...

    def raw_block(self, block_hash: str) -> bytes | bytearray:
        """Exactly ``getblock <hash> 0`` (a ``bytearray`` from JSON-RPC, decoded in place)."""
        ...

    def block_txids(self, block_hash: str) -> list[str]:
        """Display hex txids of the block, in block order, without the block's bytes."""
        ...

    def mempool_transactions(self) -> list[bytes]:
        """Raw unconfirmed transactions."""
        ...


_KINDS: dict[str, type[RpcSource] | type[RestSource] | type[EsploraSource]] = {
    "rpc": RpcSource,
    "rest": RestSource,
    "esplora": EsploraSource,
}


def open_source(url: str, kind: SourceKind, *, config: NodeConfig | None = None) -> BlockSource:
    """A client for the node at ``url``: Bitcoin Core JSON-RPC or REST, or an Esplora server."""
    if kind not in _KINDS:
        raise ConfigError(f"unknown node kind {kind!r}: use one of {', '.join(_KINDS)}")
    check_url(url, "the node URL")
    return _KINDS[kind](url, config or NodeConfig())


def check_url(url: str, what: str) -> None:
    """Refuse a URL requests could not use (bad port, broken IPv6 host, spaces) in one line."""
    problem = ""
    try:
        parts = urlsplit(url)
        port = parts.port  # raises on a port that is not a number from 0 to 65535
    except ValueError as exc:
        problem = str(exc)
    else:
        if parts.scheme not in ("http", "https") or not parts.hostname:
            problem = "no http(s) scheme or no host"
        elif any(c.isspace() for c in url):
            problem = "it holds spaces"
        elif port == 0:
            problem = "port 0"
    if problem:
        raise ConfigError(
            f"{what} must look like http(s)://host:port, not {redact(url)!r} ({problem})"
        )
