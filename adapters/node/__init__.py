"""Clients for the nodes users point the product at, behind one ``BlockSource`` interface.

``open_source(url, kind, config=...)`` gives a Bitcoin Core JSON-RPC, Bitcoin
Core REST or Esplora client; ``NodeChain`` turns any of them into the engine's
header source and verified block fetcher.

Names load on first use (PEP 562): the settings and errors are needed by
commands that never fetch a block, and must not import numba or requests.
"""

from importlib import import_module
from typing import Any

_MODULE_OF = {
    "NodeChain": "adapters.node.chain",
    "NodeConfig": "adapters.node.config",
    "AuthError": "adapters.node.errors",
    "BadResponseError": "adapters.node.errors",
    "BlockCheckError": "adapters.node.errors",
    "BlockFetchError": "adapters.node.errors",
    "ConfigError": "adapters.node.errors",
    "NotFoundError": "adapters.node.errors",
    "PrunedBlockError": "adapters.node.errors",
    "RefusedError": "adapters.node.errors",
    "RemoteError": "adapters.node.errors",
    "RequestTimeoutError": "adapters.node.errors",
    "RpcError": "adapters.node.errors",
    "TlsError": "adapters.node.errors",
    "UnreachableError": "adapters.node.errors",
    "EsploraSource": "adapters.node.esplora",
    "RestSource": "adapters.node.rest",
    "RpcSource": "adapters.node.rpc",
    "BlockSource": "adapters.node.source",
    "SourceKind": "adapters.node.source",
    "open_source": "adapters.node.source",
    "FetchStats": "adapters.node.stats",
}

__all__ = sorted(_MODULE_OF)


def __getattr__(name: str) -> Any:
    module = _MODULE_OF.get(name)
    if module is None:
        raise AttributeError(f"module 'adapters.node' has no attribute {name!r}")
    value = getattr(import_module(module), name)
    globals()[name] = value
    return value
