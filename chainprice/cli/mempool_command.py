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

from chainprice.cli.node_options import add_node_arguments, api_config, node_config
from chainprice.cli.options import store_arg
from chainprice.core.errors import ChainPriceError

if TYPE_CHECKING:  # the engine and node clients load when the command runs, not for --help
    import numpy as np

    from chainprice.adapters.node.mempool_tracker import MempoolSnapshot, MempoolTracker
    from chainprice.core.mempool import MempoolResult

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
    mempool.add_argument("--lake", type=store_arg, help="also store the estimate in this lake")
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
        default=WINDOW_HOURS,
        help="window length before the newest entry (default 3)",
    )
    mempool.add_argument(
        "--prices-url",
        metavar="URL",
        help="mempool.space-compatible price API root, for the exchange comparison",
    )
    mempool.add_argument(
        "--points-retention-days",
        type=_days,
        default=7,
        help="days each run's scatter is kept in the lake (default 7)",
    )
    add_node_arguments(mempool)
    mempool.set_defaults(run=run_mempool)


def _exchange_price(args: argparse.Namespace) -> float | None:
    if not args.prices_url:
        return None
    from chainprice.adapters.exchange import ExchangePrices

    try:
        return ExchangePrices(args.prices_url, api_config(args)).latest().usd
    except ChainPriceError as exc:
        print(f"chainprice: no current exchange price: {exc}", file=sys.stderr)
        return None


def _price(tracker: MempoolTracker, snap: MempoolSnapshot) -> MempoolResult:
    from chainprice.core.mempool import mempool_price

    return mempool_price(
        snap.txs,
        snap.mempool_txids,
        snap.confirmed,
        snap.tip,
        tracker.window_seconds,
        n_received=snap.n_received,
    )


def _record(
    args: argparse.Namespace, snap: MempoolSnapshot, result: MempoolResult | None
) -> dict[str, Any] | None:
    """The run's fields (prices row and mempool_runs row), stored when ``--lake`` is given."""
    from chainprice.lake.mempool_series import MempoolRun, mempool_price_row, mempool_run_row
    from chainprice.lake.price_records import Validity

    computed_at = dt.datetime.now(dt.UTC).replace(microsecond=0)
    run = MempoolRun(n_fetched=snap.n_fetched, n_gone=snap.n_gone)
    exchange = _exchange_price(args) if result is not None else None
    if args.lake is not None:
        from chainprice.lake.mempool_series import write_mempool_run

        write_mempool_run(
            args.lake,
            result,
            snap.txs,
            computed_at=computed_at,
            exchange_price=exchange,
            run=run,
            retention_days=args.points_retention_days,
        )
    if result is None:
        return None
    fields = {"kind": "mempool", "unconfirmed": True}
    fields |= mempool_price_row(result, Validity(), exchange, computed_at)
    fields |= mempool_run_row(result, run, computed_at)
    return fields


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


def _tracker(args: argparse.Namespace) -> MempoolTracker:
    from chainprice.adapters.node import open_source
    from chainprice.adapters.node.mempool_tracker import MempoolTracker

    source = open_source(args.node, args.source, config=node_config(args))
    state = stored = None
    if args.lake is not None:
        from chainprice.lake.manifest import load_manifest
        from chainprice.lake.mempool_series import load_state, stored_block_txids

        state = load_state(args.lake, load_manifest(args.lake))

        def from_lake(blocks: list[tuple[int, str]]) -> dict[str, tuple[int, np.ndarray]]:
            """The recent blocks the lake holds (its manifest read again: ingests go on)."""
            return stored_block_txids(args.lake, load_manifest(args.lake), blocks)

        stored = from_lake
    return MempoolTracker(
        source,
        round(args.window_hours * 3600),
        state=state,
        workers=args.workers,
        stored_blocks=stored,
    )


def _watch(args: argparse.Namespace, tracker: MempoolTracker) -> None:
    before: float | None = None
    while True:
        began = time.monotonic()
        try:
            snap = tracker.refresh()
            try:
                result = _price(tracker, snap)
            except ChainPriceError:
                _record(args, snap, None)
                raise
            fields = _record(args, snap, result)
            print(json.dumps(_jsonable(fields)) if args.json else _line(fields, before), flush=True)
            before = fields["price"]
        except ChainPriceError as exc:
            print(f"chainprice: {exc}", file=sys.stderr, flush=True)
        time.sleep(max(0.0, args.watch - (time.monotonic() - began)))


def run_mempool(args: argparse.Namespace) -> int:
    if not args.node:
        raise ChainPriceError("chainprice mempool needs --node URL")
    tracker = _tracker(args)
    if args.watch is not None:
        try:
            _watch(args, tracker)
        except KeyboardInterrupt:
            print("", file=sys.stderr)
            return 130
    snap = tracker.refresh()
    try:
        result = _price(tracker, snap)
    except ChainPriceError:
        _record(args, snap, None)  # with --lake, keep what was fetched for the next run
        raise
    fields = _record(args, snap, result)
    print(json.dumps(_jsonable(fields), indent=2) if args.json else _summary(fields))
    return 0
