"""A simulated Bitcoin node: Core JSON-RPC and REST, Esplora and a price API on one port.

It serves a simulated chain (or a golden-layout folder) over loopback HTTP
exactly as Bitcoin Core, Blockstream's Esplora and mempool.space answer, so
unmodified clients work against it, with deterministic fault injection and
a request log for tests::

    chain = ServedChain.from_spec(compact_day())
    with NodeSim(chain, rpc_user="u", rpc_password="p") as node:
        node.url, node.esplora_url, node.request_log

Names load on first use (PEP 562), so ``chainprice --help`` can describe
``node-sim``'s options without importing the chain generator.
"""

from importlib import import_module
from typing import Any

_MODULE_OF = {
    "FaultPlan": "chainprice.nodesim.faults",
    "RequestRecord": "chainprice.nodesim.faults",
    "ServedChain": "chainprice.nodesim.served_chain",
    "NodeSim": "chainprice.nodesim.server",
}

__all__ = sorted(_MODULE_OF)


def __getattr__(name: str) -> Any:
    module = _MODULE_OF.get(name)
    if module is None:
        raise AttributeError(f"module 'nodesim' has no attribute {name!r}")
    value = getattr(import_module(module), name)
    globals()[name] = value
    return value
