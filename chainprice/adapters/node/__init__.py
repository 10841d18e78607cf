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
    "NodeChain": "chainprice.adapters.node.chain",
    "NodeConfig": "chainprice.adapters.node.config",
    "AuthError": "chainprice.adapters.node.errors",
    "BadResponseError": "chainprice.adapters.node.errors",
    "BlockCheckError": "chainprice.adapters.node.errors",
    "BlockFetchError": "chainprice.adapters.node.errors",
    "ConfigError": "chainprice.adapters.node.errors",
    "NotFoundError": "chainprice.adapters.node.errors",
    "PrunedBlockError": "chainprice.adapters.node.errors",
    "RefusedError": "chainprice.adapters.node.errors",
    "RemoteError": "chainprice.adapters.node.errors",
    "RequestTimeoutError": "chainprice.adapters.node.errors",
    "RpcError": "chainprice.adapters.node.errors",
    "TlsError": "chainprice.adapters.node.errors",
    "UnreachableError": "chainprice.adapters.node.errors",
    "EsploraSource": "chainprice.adapters.node.esplora",
    "RestSource": "chainprice.adapters.node.rest",
    "RpcSource": "chainprice.adapters.node.rpc",
    "BlockSource": "chainprice.adapters.node.source",
    "SourceKind": "chainprice.adapters.node.source",
    "open_source": "chainprice.adapters.node.source",
    "FetchStats": "chainprice.adapters.node.stats",
}

__all__ = sorted(_MODULE_OF)


def __getattr__(name: str) -> Any:
    module = _MODULE_OF.get(name)
    if module is None:
        raise AttributeError(f"module 'chainprice.adapters.node' has no attribute {name!r}")
    value = getattr(import_module(module), name)
    globals()[name] = value
    return value
