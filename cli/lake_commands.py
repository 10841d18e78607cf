"""``chainprice ingest``, ``backfill`` and ``sql``: the lake's commands."""

from __future__ import annotations

import argparse
import sys

from cli.node_options import add_node_arguments, api_config, open_node
from cli.options import date_arg, store_arg
from core.errors import ChainPriceError


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
    from adapters.exchange import ExchangePrices
    from lake.exchange_rates import LakeExchange

    return LakeExchange(store, ExchangePrices(args.prices_url, api_config(args)))


def add_lake_parsers(commands: argparse._SubParsersAction) -> None:
    ingest = commands.add_parser(
        "ingest", help="read new blocks from the node into the lake, then price what they settle"
    )
    _lake_argument(ingest)
    ingest.add_argument("--start-height", type=int, help="first height for an empty lake")
    ingest.add_argument("--stop-height", type=int, help="last height to read (default: the tip)")
    _exchange_argument(ingest)
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
    _exchange_argument(backfill)
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
    from cli.progress import block_bar
    from lake.ingest import ingest

    node = open_node(args)
    with block_bar(None) as bar:
        report = ingest(
            args.lake,
            node,
            start_height=args.start_height,
            stop_height=args.stop_height,
            exchange=_exchange(args, args.lake),
            on_batch=bar.update,
        )
    _report(report)
    stats = node.stats.snapshot()
    print(
        f"chainprice: node retries {stats['retries']} ({stats['timeouts']} timeouts)",
        file=sys.stderr,
    )


def run_backfill(args: argparse.Namespace) -> None:
    from cli.progress import block_bar
    from lake.backfill import backfill

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

    from lake.sql_views import lake_connection

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
