"""``chainprice ingest``, ``backfill`` and ``sql``: the lake's commands."""

from __future__ import annotations

import argparse
import sys

from chainprice.cli.log_options import add_log_format_argument, job_log_format
from chainprice.cli.node_options import add_node_arguments, env_default, open_node
from chainprice.cli.options import date_arg, store_arg
from chainprice.core.errors import ChainPriceError


def _lake_argument(parser: argparse.ArgumentParser) -> None:
    default = env_default("CHAINPRICE_LAKE_URL")
    parser.add_argument(
        "--lake",
        type=store_arg,
        required=default is None,
        default=default,
        help="lake URL: a folder, gs://… or s3://… ($CHAINPRICE_LAKE_URL)",
    )


def _exchange_argument(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--prices-url",
        metavar="URL",
        help="mempool.space-compatible price API root (e.g. https://mempool.space/api; "
        "$CHAINPRICE_PRICES_URL); without it prices are stored without the exchange comparison",
    )


def _writer_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--max-reorg-depth",
        type=int,
        metavar="N",
        help="deepest reorg to follow; a deeper fork is refused, changing nothing (default 12, "
        "$CHAINPRICE_MAX_REORG_DEPTH)",
    )
    parser.add_argument(
        "--grace",
        type=float,
        metavar="SECONDS",
        help="how long replaced objects stay readable for readers holding an older manifest "
        "(default 3600, $CHAINPRICE_GRACE_SECONDS)",
    )


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
    add_log_format_argument(ingest)
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
    add_log_format_argument(backfill)
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
    from chainprice.cli.job_settings import job_wiring
    from chainprice.cli.progress import block_bar
    from chainprice.jobs.ingest import ingest_job

    wiring = job_wiring(args, args.lake, chain=True)
    if job_log_format(args):
        ingest_job(wiring, start_height=args.start_height, stop_height=args.stop_height)
        return
    with block_bar(None) as bar:
        report = ingest_job(
            wiring,
            start_height=args.start_height,
            stop_height=args.stop_height,
            on_batch=bar.update,
            quiet=True,
        )
    _report(report)
    stats = wiring.node.stats.snapshot()
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


def run_backfill(args: argparse.Namespace) -> None:
    from chainprice.cli.job_settings import job_wiring
    from chainprice.cli.progress import block_bar
    from chainprice.jobs.backfill import backfill_job

    wiring = job_wiring(args, args.lake, chain=True)
    if job_log_format(args):
        backfill_job(wiring, args.first, args.last, parallel=args.parallel)
        return
    with block_bar(None) as bar:

        def start(total: int) -> None:
            bar.total = total
            bar.refresh()

        report = backfill_job(
            wiring,
            args.first,
            args.last,
            parallel=args.parallel,
            on_start=start,
            on_batch=bar.update,
            quiet=True,
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
