"""A simulated Bitcoin node: Core JSON-RPC and REST, Esplora and a price API on one port.

It serves a simulated chain (or a golden-layout folder) over loopback HTTP
exactly as Bitcoin Core, Blockstream's Esplora and mempool.space answer, so
unmodified clients work against it, with deterministic fault injection and
a request log for tests::

    chain = ServedChain.from_spec(compact_day())
    with NodeSim(chain, rpc_user="u", rpc_password="p") as node:
        node.url, node.esplora_url, node.request_log
"""

from nodesim.faults import FaultPlan, RequestRecord
from nodesim.served_chain import ServedChain
from nodesim.server import NodeSim

__all__ = ["FaultPlan", "NodeSim", "RequestRecord", "ServedChain"]
