"""A node to price from, with the options ``chainprice price`` takes for it."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Literal

if TYPE_CHECKING:
    from chainprice.adapters.node import NodeChain


@dataclass(frozen=True)
class Node:
    """Where a Bitcoin Core (JSON-RPC or REST) or Esplora server is, and how to reach it.

    The fields are the CLI's node options (``--source``, ``--rpc-cookie``,
    ``--header``...), checked by the same code, so a bad value fails with
    the line the CLI prints. ``rpc_cookie`` is re-read when the node restarts;
    the password and ``headers`` go to the node only (never shown in a repr,
    an error or the lake). Nothing connects until a price is asked for.
    """

    url: str
    source: Literal["rpc", "rest", "esplora"] = "rpc"
    rpc_user: str | None = None
    rpc_password: str | None = field(default=None, repr=False)
    rpc_password_file: str | Path | None = None
    rpc_cookie: str | Path | None = None
    headers: Mapping[str, str] = field(default_factory=dict, repr=False)
    timeout: float = 60.0
    retries: int = 5
    workers: int = 8
    ca_bundle: str | None = None
    insecure: bool = False

    def _open(self) -> NodeChain:
        """The node as a verified block source (internal type; the CLI opens it the same way)."""
        from chainprice.adapters.node.options import check_node_url, node_config
        from chainprice.jobs.settings import NodeSettings
        from chainprice.jobs.wiring import open_chain

        config = node_config(
            rpc_user=self.rpc_user,
            rpc_password=self.rpc_password,
            rpc_password_file=self.rpc_password_file,
            rpc_cookie=self.rpc_cookie,
            headers=self.headers,
            timeout=self.timeout,
            retries=self.retries,
            workers=self.workers,
            ca_bundle=self.ca_bundle,
            insecure=self.insecure,
        )
        settings = NodeSettings(url=check_node_url(self.url), source=self.source, config=config)
        return open_chain(settings)
