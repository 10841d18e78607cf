"""From settings to the parts a job uses: the lake's store, the node, the price API.

Each part is opened on first use only, so a job imports and connects to
nothing it does not need (a cold function instance pays for what it runs).
"""

from __future__ import annotations

from functools import cached_property
from typing import TYPE_CHECKING

from chainprice.jobs.settings import JobSettings, NodeSettings, SettingsError

if TYPE_CHECKING:
    from chainprice.adapters.node import NodeChain
    from chainprice.adapters.storage import ObjectStore
    from chainprice.lake.exchange_rates import LakeExchange
    from chainprice.lake.ingest import LakeSettings
    from chainprice.lake.price_records import Validity


def open_chain(node: NodeSettings) -> NodeChain:
    """The node behind ``node``'s URL, its blocks verified as they arrive."""
    from chainprice.adapters.node import NodeChain, open_source
    from chainprice.core import parse_block

    source = open_source(node.url, node.source, config=node.config)
    return NodeChain(
        source, workers=node.config.workers, retries=node.config.retries, verify=parse_block
    )


class Wiring:
    """The parts of one run; the CLI may hand in a store it already opened and checked."""

    def __init__(
        self,
        settings: JobSettings,
        *,
        store: ObjectStore | None = None,
        node: NodeChain | None = None,
    ) -> None:
        self.settings = settings
        if store is not None:
            self.__dict__["store"] = store
        if node is not None:
            self.__dict__["node"] = node

    @property
    def has_lake(self) -> bool:
        return self.settings.lake_url is not None or "store" in self.__dict__

    @cached_property
    def store(self) -> ObjectStore:
        from chainprice.adapters.storage import open_store

        return open_store(self.settings.lake_url)

    @cached_property
    def node(self) -> NodeChain:
        if self.settings.node is None:
            raise SettingsError("CHAINPRICE_NODE_URL is not set: this job reads a node")
        return open_chain(self.settings.node)

    @cached_property
    def exchange(self) -> LakeExchange | None:
        """The day-price comparison source; none without a price API URL."""
        if not self.settings.prices_url:
            return None
        from chainprice.adapters.exchange import ExchangePrices
        from chainprice.adapters.node.config import NodeConfig
        from chainprice.lake.exchange_rates import LakeExchange

        patience = self.settings.node.config if self.settings.node else NodeConfig()
        # The node's patience, none of its credentials, headers or CA: they are the node's.
        api = NodeConfig(timeout=patience.timeout, retries=patience.retries)
        return LakeExchange(self.store, ExchangePrices(self.settings.prices_url, api))

    @cached_property
    def validity(self) -> Validity:
        from chainprice.lake.price_records import Validity

        s = self.settings
        return Validity(
            min_price=s.min_price, max_price=s.max_price, min_confidence=s.min_confidence
        )

    @cached_property
    def lake_settings(self) -> LakeSettings:
        from chainprice.lake.ingest import LakeSettings

        s = self.settings
        return LakeSettings(max_reorg_depth=s.max_reorg_depth, grace_seconds=s.grace_seconds)

    def node_retries(self) -> int:
        node = self.__dict__.get("node")
        return node.stats.snapshot()["retries"] if node is not None else 0
