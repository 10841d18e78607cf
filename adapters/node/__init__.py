"""Clients for the nodes users point the product at, behind one ``BlockSource`` interface.

``open_source(url, kind, config=...)`` gives a Bitcoin Core JSON-RPC, Bitcoin
Core REST or Esplora client; ``NodeChain`` turns any of them into the engine's
header source and verified block fetcher.
"""

from adapters.node.chain import NodeChain
from adapters.node.config import NodeConfig
from adapters.node.errors import (
    AuthError,
    BadResponseError,
    BlockCheckError,
    BlockFetchError,
    ConfigError,
    NotFoundError,
    RefusedError,
    RemoteError,
    RequestTimeoutError,
    RpcError,
    TlsError,
    UnreachableError,
)
from adapters.node.esplora import EsploraSource
from adapters.node.rest import RestSource
from adapters.node.rpc import RpcSource
from adapters.node.source import BlockSource, SourceKind, open_source
from adapters.node.stats import FetchStats

__all__ = [
    "AuthError",
    "BadResponseError",
    "BlockCheckError",
    "BlockFetchError",
    "BlockSource",
    "ConfigError",
    "EsploraSource",
    "FetchStats",
    "NodeChain",
    "NodeConfig",
    "NotFoundError",
    "RefusedError",
    "RemoteError",
    "RequestTimeoutError",
    "RestSource",
    "RpcError",
    "RpcSource",
    "SourceKind",
    "TlsError",
    "UnreachableError",
    "open_source",
]
