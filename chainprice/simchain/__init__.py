"""Deterministic simulated Bitcoin chains with a planted BTC/USD price.

``generate_chain(spec)`` returns raw blocks in Bitcoin Core's wire format
(what ``getblock <hash> 0`` returns) whose round-USD payments were converted
at a known price path, so a computed on-chain price can be checked against
the truth. ``compact_day()`` is the small everyday chain (golden-chain
scale); ``full_size_day()`` is a mainnet-sized day for benchmarks.
``generate_mempool(chain)`` draws unconfirmed transactions after the tip.
"""

from chainprice.simchain.chain import SimulatedChain, generate_chain
from chainprice.simchain.mempool import SimulatedMempool, generate_mempool
from chainprice.simchain.pricepath import PricePath
from chainprice.simchain.spec import ChainSpec, PaymentMix, TxMix, compact_day, full_size_day

__all__ = [
    "ChainSpec",
    "PaymentMix",
    "PricePath",
    "SimulatedChain",
    "SimulatedMempool",
    "TxMix",
    "compact_day",
    "full_size_day",
    "generate_chain",
    "generate_mempool",
]
