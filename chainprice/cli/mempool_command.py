"""``chainprice mempool``: the live, unconfirmed price from a node's mempool.

One estimate by default (stored when ``--lake`` is given, starting from the
lake's saved state so only new transactions are fetched); ``--watch SECONDS``
refreshes in the terminal, fetching only what entered since the last refresh.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import sys
import time
from typing import TYPE_CHECKING, Any

from chainprice.cli.log_options import add_log_format_argument, job_log_format
from chainprice.cli.node_options import add_node_arguments, env_default
from chainprice.cli.options import store_arg
from chainprice.core.errors import ChainPriceError

if TYPE_CHECKING:  # the engine and node clients load when the command runs, not for --help
    from chainprice.adapters.node.mempool_tracker import MempoolTracker
    from chainprice.jobs.wiring import Wiring

WINDOW_HOURS = 3.0
"""The window's default length (``core.mempool.DEFAULT_WINDOW_SECONDS``, in hours)."""


def _positive(text: str) -> float:
    value = float(text)
    if not value > 0:
        raise argparse.ArgumentTypeError(f"must be positive, not {text}")
    return value


def _days(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be 1 or more, not {text}")
    return value


def add_mempool_parser(commands: argparse._SubParsersAction) -> None:
    mempool = commands.add_parser(
        "mempool",
        help="the unconfirmed price of the round-dollar payments waiting in a node's mempool",
        description="Prices the transactions that entered the node's mempool within the window "
        "(default 3 hours up to the newest entry). The result is UNCONFIRMED.",
    )
    mempool.add_argument(
        "--lake",
        type=store_arg,
        default=env_default("CHAINPRICE_LAKE_URL"),
        help="also store the estimate in this lake ($CHAINPRICE_LAKE_URL)",
    )
    mempool.add_argument("--json", action="store_true", help="print one JSON object")
    mempool.add_argument(
        "--watch",
        type=_positive,
        metavar="SECONDS",
        help="refresh every SECONDS until Ctrl-C, fetching only new transactions",
    )
    mempool.add_argument(
        "--window-hours",
        type=_positive,
        help=f"window length before the newest entry (default {WINDOW_HOURS:g}, "
        "$CHAINPRICE_MEMPOOL_WINDOW_HOURS)",
    )
    mempool.add_argument(
        "--prices-url",
        metavar="URL",
        help="mempool.space-compatible price API root, for the exchange comparison "
        "($CHAINPRICE_PRICES_URL)",
    )
    mempool.add_argument(
        "--points-retention-days",
        type=_days,
        help="days each run's scatter is kept in the lake (default 7, "
        "$CHAINPRICE_MEMPOOL_POINTS_RETENTION_DAYS)",
    )
    add_log_format_argument(mempool)
    add_node_arguments(mempool)
    mempool.set_defaults(run=run_mempool)


def _jsonable(fields: dict[str, Any]) -> dict[str, Any]:
    return {k: v.isoformat() if isinstance(v, dt.datetime) else v for k, v in fields.items()}


def _line(fields: dict[str, Any], before: float | None) -> str:
    change = ""
    if before is not None:
        delta = fields["price"] - before
        change = f" ({delta:+,.0f}, {100 * delta / before:+.2f} %)"
    flag = "" if fields["is_valid"] else f"  [{fields['invalid_reason']}]"
    return (
        f"{fields['computed_at']:%H:%M:%S} UNCONFIRMED ${fields['price']:,.0f}{change}  "
        f"confidence {fields['confidence']:.2f}  candidates {fields['n_candidates']:,} / "
        f"window {fields['n_in_window']:,} / mempool {fields['n_received']:,}  "
        f"new {fields['n_fetched']:,}{flag}"
    )


def _summary(fields: dict[str, Any]) -> str:
    window = f"{fields['window_start']:%Y-%m-%d %H:%M}..{fields['window_end']:%H:%M} UTC"
    lines = [
        f"mempool price (UNCONFIRMED): ${fields['price']:,.0f} "
        f"(rough {fields['rough_price']:,}), confidence {fields['confidence']:.2f}",
        f"  window      {window}, tip {fields['tip_height']:,}",
        f"  counts      {fields['n_received']:,} received, {fields['n_in_window']:,} in the "
        f"window, {fields['n_candidates']:,} candidates, {fields['n_price_points']:,} points",
    ]
    if fields["exchange_price"] is not None:
        lines.append(
            f"  exchange    ${fields['exchange_price']:,.0f} ({fields['diff_pct']:+.2f} %)"
        )
    if not fields["is_valid"]:
        lines.append(f"  NOT VALID   {fields['invalid_reason']}")
    return "\n".join(lines)


def _wiring(args: argparse.Namespace) -> Wiring:
    from chainprice.cli.job_settings import job_wiring

    return job_wiring(args, args.lake, chain=False)


def _watch(args: argparse.Namespace, wiring: Wiring, tracker: MempoolTracker) -> None:
    """Refresh until interrupted; a failed refresh is reported and the next one tries again."""
    from chainprice.jobs.mempool import mempool_job

    logged = job_log_format(args) is not None
    before: float | None = None
    while True:
        began = time.monotonic()
        try:
            fields = mempool_job(wiring, tracker=tracker, quiet=not logged)
            if not logged:
                print(json.dumps(_jsonable(fields)) if args.json else _line(fields, before))
                sys.stdout.flush()
            before = fields["price"]
        except ChainPriceError as exc:
            if not logged:  # the job's own ERROR line already says it
                print(f"chainprice: {exc}", file=sys.stderr, flush=True)
        time.sleep(max(0.0, args.watch - (time.monotonic() - began)))


def run_mempool(args: argparse.Namespace) -> int:
    from chainprice.jobs.mempool import mempool_job, mempool_tracker

    if not args.node:
        raise ChainPriceError("chainprice mempool needs --node URL (or $CHAINPRICE_NODE_URL)")
    wiring = _wiring(args)
    tracker = mempool_tracker(wiring)
    if args.watch is not None:
        try:
            _watch(args, wiring, tracker)
        except KeyboardInterrupt:
            print("", file=sys.stderr)
            return 130
    if job_log_format(args):
        mempool_job(wiring, tracker=tracker)
        return 0
    fields = mempool_job(wiring, tracker=tracker, quiet=True)
    print(json.dumps(_jsonable(fields), indent=2) if args.json else _summary(fields))
    return 0
