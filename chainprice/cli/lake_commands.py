"""``chainprice ingest``, ``backfill`` and ``sql``: the lake's commands."""

from __future__ import annotations

import argparse
import sys
import time

from chainprice.cli.node_options import add_node_arguments, api_config, open_node
from chainprice.cli.options import date_arg, store_arg
from chainprice.core.errors import ChainPriceError


def _lake_argument(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--lake", type=store_arg, required=True, help="lake URL: a folder, gs://… or s3://…"
    )


def _exchange_argument(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--prices-url",
        metavar="URL",
        help="mempool.space-compatible price API root (e.g. https://mempool.space/api); "
        "without it prices are stored without the exchange comparison",
    )


def _exchange(args: argparse.Namespace, store):
    if not args.prices_url:
        return None
    from chainprice.adapters.exchange import ExchangePrices
    from chainprice.lake.exchange_rates import LakeExchange

    return LakeExchange(store, ExchangePrices(args.prices_url, api_config(args)))


def _writer_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--max-reorg-depth",
        type=int,
        default=12,
        metavar="N",
        help="deepest reorg to follow; a deeper fork is refused, changing nothing (default 12)",
    )
    parser.add_argument(
        "--grace",
        type=float,
        default=3600.0,
        metavar="SECONDS",
        help="how long replaced objects stay readable for readers holding an older manifest "
        "(default 3600)",
    )


def _settings(args: argparse.Namespace):
    from chainprice.lake.ingest import LakeSettings

    return LakeSettings(max_reorg_depth=args.max_reorg_depth, grace_seconds=args.grace)


def add_lake_parsers(commands: argparse._SubParsersAction) -> None:
    _add_lake_admin_parser(commands)
    ingest = commands.add_parser(
        "ingest", help="read new blocks from the node into the lake, then price what they settle"
    )
    _lake_argument(ingest)
    ingest.add_argument("--start-height", type=int, help="first height for an empty lake")
    ingest.add_argument("--stop-height", type=int, help="last height to read (default: the tip)")
    _exchange_argument(ingest)
    _writer_arguments(ingest)
    add_node_arguments(ingest)
    ingest.set_defaults(run=run_ingest)

    backfill = commands.add_parser(
        "backfill", help="fill the lake for a range of UTC days (idempotent, resumable)"
    )
    _lake_argument(backfill)
    backfill.add_argument(
        "--from",
        dest="first",
        type=date_arg,
        required=True,
        metavar="YYYY-MM-DD",
        help="first UTC day to fill",
    )
    backfill.add_argument(
        "--to",
        dest="last",
        type=date_arg,
        required=True,
        metavar="YYYY-MM-DD",
        help="last UTC day to fill (included)",
    )
    backfill.add_argument(
        "--parallel",
        type=_parallel_arg,
        default=1,
        metavar="N",
        help="write chunks of a few days on N threads at once, each block still read from the "
        "node once (default 1: one sequential run)",
    )
    _exchange_argument(backfill)
    _writer_arguments(backfill)
    add_node_arguments(backfill)
    backfill.set_defaults(run=run_backfill)

    sql = commands.add_parser("sql", help="run DuckDB SQL over the lake's tables")
    sql.add_argument("query", help='e.g. "SELECT date, price FROM prices ORDER BY date"')
    _lake_argument(sql)
    sql.add_argument(
        "--format",
        choices=("table", "csv", "json"),
        default="table",
        help="table: aligned text (default); csv: header row, then comma-separated rows; "
        "json: one array of row objects. Binary columns (txid) are written as hex",
    )
    sql.set_defaults(run=run_sql)


def _report(report) -> None:
    if report.node_behind:
        print(f"the node (tip {report.node_tip}) is behind the lake: nothing to do yet")
        return
    days = ", ".join(d.isoformat() for d in report.days_priced) or "none"
    print(
        f"ingested {report.blocks} blocks"
        + (f" ({report.first_height}..{report.last_height})" if report.blocks else "")
        + f", node tip {report.node_tip}, reorg depth {report.reorg_depth}, "
        f"days priced: {days}"
        + (f", recent price {report.recent_price:,.2f}" if report.recent_price else "")
        + f", {report.objects_compacted} objects compacted, {report.seconds:.2f} s"
    )


def run_ingest(args: argparse.Namespace) -> None:
    from chainprice.cli.progress import block_bar
    from chainprice.lake.ingest import ingest

    node = open_node(args)
    with block_bar(None) as bar:
        report = ingest(
            args.lake,
            node,
            start_height=args.start_height,
            stop_height=args.stop_height,
            exchange=_exchange(args, args.lake),
            on_batch=bar.update,
            settings=_settings(args),
        )
    _report(report)
    stats = node.stats.snapshot()
    print(
        f"chainprice: node retries {stats['retries']} ({stats['timeouts']} timeouts)",
        file=sys.stderr,
    )


def _parallel_arg(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value < 1:
        raise argparse.ArgumentTypeError(
            f"--parallel must be a whole number, 1 or more, not {text!r}"
        )
    return value


def _fan_out(args: argparse.Namespace):
    """The backfill as chunks on ``--parallel`` threads, each with its own node connection."""
    from concurrent.futures import ThreadPoolExecutor

    from chainprice.lake.fanout import backfill_chunk, plan_chunks
    from chainprice.lake.ingest import IngestReport

    began = time.perf_counter()
    chunks = plan_chunks(open_node(args), args.first, args.last)

    def run(chunk):
        return backfill_chunk(
            args.lake,
            open_node(args),
            chunk,
            exchange=_exchange(args, args.lake),
            settings=_settings(args),
        )

    with ThreadPoolExecutor(args.parallel, thread_name_prefix="backfill-chunk") as pool:
        reports = list(pool.map(run, chunks))
    heights = [h for r in reports for h in (r.first_height, r.last_height) if h is not None]
    return IngestReport(
        node_tip=max(r.node_tip for r in reports),
        first_height=min(heights, default=None),
        last_height=max(heights, default=None),
        blocks=sum(r.blocks for r in reports),
        days_priced=sorted({d for r in reports for d in r.days_priced}),
        objects_compacted=sum(r.objects_compacted for r in reports),
        seconds=time.perf_counter() - began,
    )


def run_backfill(args: argparse.Namespace) -> None:
    from chainprice.cli.progress import block_bar
    from chainprice.lake.backfill import backfill

    if args.parallel > 1:
        _report(_fan_out(args))
        return
    node = open_node(args)
    with block_bar(None) as bar:

        def start(total: int) -> None:
            bar.total = total
            bar.refresh()

        report = backfill(
            args.lake,
            node,
            args.first,
            args.last,
            exchange=_exchange(args, args.lake),
            on_start=start,
            on_batch=bar.update,
            settings=_settings(args),
        )
    _report(report)


def _hex_blobs(relation):
    """The relation with binary columns (``txid``) as lower-case hex, as explorers write them."""
    columns = [
        f'lower(hex("{name}")) AS "{name}"' if str(kind) == "BLOB" else f'"{name}"'
        for name, kind in zip(relation.columns, relation.types, strict=True)
    ]
    return relation.project(", ".join(columns))


def run_sql(args: argparse.Namespace) -> None:
    import duckdb

    from chainprice.lake.sql_views import lake_connection

    if not args.query.strip():
        raise ChainPriceError('SQL: the query is empty; e.g. "SELECT count(*) FROM blocks"')
    con = lake_connection(args.lake)
    try:  # DuckDB raises both while planning and while running (a bad cast)
        relation = con.sql(args.query)
        if relation is None:
            return
        relation = _hex_blobs(relation)
        if args.format == "table":
            relation.show(max_rows=10_000, max_width=200)
        elif args.format == "csv":
            relation.pl().write_csv(sys.stdout)
        else:
            print(relation.pl().write_json())
    except duckdb.Error as exc:
        raise ChainPriceError(f"SQL: {str(exc).splitlines()[0]}") from None


def _add_lake_admin_parser(commands: argparse._SubParsersAction) -> None:
    lake = commands.add_parser("lake", help="check, repair or roll back a lake's manifest")
    actions = lake.add_subparsers(dest="action", required=True)
    check = actions.add_parser(
        "check", help="verify every listed object (present, size, SHA-256 recorded at write time)"
    )
    _lake_argument(check)
    check.set_defaults(run=run_lake_check)
    repair = actions.add_parser(
        "repair",
        help="rebuild the manifest from the objects present; with --node, read again only the "
        "blocks whose objects are missing or damaged",
    )
    _lake_argument(repair)
    add_node_arguments(repair)
    repair.set_defaults(run=run_lake_repair)
    rollback = actions.add_parser("rollback", help="make an earlier kept manifest current again")
    _lake_argument(rollback)
    rollback.add_argument("--to", type=int, metavar="VERSION", help="default: the previous one")
    rollback.set_defaults(run=run_lake_rollback)


def run_lake_check(args: argparse.Namespace) -> int:
    from chainprice.lake.check import check_lake

    report = check_lake(args.lake)
    for problem in report.problems:
        print(f"damaged: {problem}")
    print(
        f"{report.url}: manifest version {report.version}, {report.objects} objects "
        f"({report.bytes / 1e6:,.1f} MB) checked, {len(report.problems)} problems, "
        f"{report.retired} retired objects awaiting deletion"
    )
    if not report.ok:
        print(
            f"chainprice: error: the lake has {len(report.problems)} damaged objects; "
            f"run `chainprice lake repair --lake {report.url} --node ...`",
            file=sys.stderr,
        )
        return 2
    return 0


def run_lake_repair(args: argparse.Namespace) -> None:
    from chainprice.lake.repair import rebuild

    node = open_node(args) if args.node else None
    report = rebuild(args.lake, node)
    print(
        f"rebuilt manifest version {report.version}: {report.objects} objects, "
        f"{len(report.damaged)} damaged objects left out, {len(report.reread)} blocks read again"
    )


def run_lake_rollback(args: argparse.Namespace) -> None:
    from chainprice.lake.repair import rollback

    manifest = rollback(args.lake, args.to)
    print(
        f"rolled back: manifest version {manifest.version} now holds blocks "
        f"{manifest.first_height}..{manifest.tip_height}"
    )
