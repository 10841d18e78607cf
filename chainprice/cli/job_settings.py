"""The jobs' settings from command-line options, over the same ``CHAINPRICE_*`` variables.

Options win; what no option gives (validity thresholds, health limits...)
comes from the environment or ``.env``, as for the cloud functions. The node
options already default to their variables (``node_options``).
"""

from __future__ import annotations

import argparse
import dataclasses
from typing import TYPE_CHECKING

from chainprice.cli.node_options import node_config, open_node
from chainprice.jobs.settings import NodeSettings, environment, load_settings
from chainprice.jobs.wiring import Wiring

if TYPE_CHECKING:
    from chainprice.adapters.storage import ObjectStore

NODE_VARIABLES = (
    "CHAINPRICE_NODE_URL",
    "CHAINPRICE_NODE_SOURCE",
    "CHAINPRICE_RPC_USER",
    "CHAINPRICE_RPC_PASSWORD",
    "CHAINPRICE_RPC_PASSWORD_FILE",
    "CHAINPRICE_RPC_COOKIE_FILE",
    "CHAINPRICE_NODE_HEADERS",
    "CHAINPRICE_NODE_TIMEOUT",
    "CHAINPRICE_NODE_RETRIES",
    "CHAINPRICE_NODE_WORKERS",
    "CHAINPRICE_NODE_CA_BUNDLE",
    "CHAINPRICE_NODE_INSECURE",
)
"""Read through the node options instead (so errors name the option given)."""


def job_wiring(args: argparse.Namespace, lake: ObjectStore | None, *, chain: bool) -> Wiring:
    """The wiring of a CLI run: the store the options opened, the node they name (``chain``:
    opened now as a block source, refusing an empty ``--node``)."""
    env = {k: v for k, v in environment().items() if k not in NODE_VARIABLES}
    env.pop("CHAINPRICE_LAKE_URL", None)
    base = load_settings(env, needs_node=False, needs_lake=False)
    changes: dict = {"lake_url": lake.url if lake is not None else None}
    if args.node:
        changes["node"] = NodeSettings(url=args.node, source=args.source, config=node_config(args))
    for option, field in (
        ("prices_url", "prices_url"),
        ("max_reorg_depth", "max_reorg_depth"),
        ("grace", "grace_seconds"),
        ("window_hours", "mempool_window_hours"),
        ("points_retention_days", "mempool_points_retention_days"),
    ):
        if getattr(args, option, None) is not None:
            changes[field] = getattr(args, option)
    if hasattr(args, "log_format"):
        from chainprice.cli.log_options import job_log_format

        changes["log_format"] = job_log_format(args)
    settings = dataclasses.replace(base, **changes)
    node = open_node(args) if chain else None
    return Wiring(settings, store=lake, node=node)
