"""One backfill chunk in a process of its own, as a cloud worker runs one Pub/Sub message.

``python tests/fanout_worker.py LAKE_URL NODE_URL PRICES_URL CHUNK_JSON``; the store is
opened from the URL and the environment (``STORAGE_EMULATOR_HOST``...), the node over REST.
"""

from __future__ import annotations

import json
import sys

from chainprice.adapters.exchange import ExchangePrices
from chainprice.adapters.node import NodeChain, NodeConfig, open_source
from chainprice.adapters.storage import open_store
from chainprice.core import parse_block
from chainprice.lake.exchange_rates import LakeExchange
from chainprice.lake.fanout import Chunk, backfill_chunk


def main(lake: str, node_url: str, prices_url: str, chunk: str) -> None:
    store = open_store(lake)
    node = NodeChain(open_source(node_url, "rest", config=NodeConfig()), verify=parse_block)
    exchange = LakeExchange(store, ExchangePrices(prices_url))
    report = backfill_chunk(store, node, Chunk.from_json(json.loads(chunk)), exchange=exchange)
    print(
        json.dumps({"blocks": report.blocks, "days": [d.isoformat() for d in report.days_priced]})
    )


if __name__ == "__main__":
    main(*sys.argv[1:])
