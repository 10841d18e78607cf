"""``chainprice metrics``: the lake's state in Prometheus' text format, on stdout or into a
node_exporter textfile (written to a temporary file and renamed, so a scrape never reads half)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from chainprice.cli.node_options import env_default
from chainprice.cli.options import store_arg


def _textfile(value: str) -> Path:
    path = Path(value)
    if path.suffix != ".prom":
        raise argparse.ArgumentTypeError(
            f"{value} must end in .prom: node_exporter's textfile collector reads only those"
        )
    if not path.parent.is_dir():
        raise argparse.ArgumentTypeError(f"{value}: no folder {path.parent}")
    return path


def add_metrics_parser(commands: argparse._SubParsersAction) -> None:
    metrics = commands.add_parser(
        "metrics",
        help="the lake's lag, job successes and latest prices as Prometheus metrics",
        description="Reads the lake's manifest (one request) and writes Prometheus' text format: "
        "lag behind the node, seconds since each job's last success, each job's last status and "
        "duration, the latest prices with confidence, validity and divergence.",
    )
    default = env_default("CHAINPRICE_LAKE_URL")
    metrics.add_argument(
        "--lake",
        type=store_arg,
        required=default is None,
        default=default,
        help="lake URL: a folder, gs://… or s3://… ($CHAINPRICE_LAKE_URL)",
    )
    metrics.add_argument(
        "--textfile",
        type=_textfile,
        metavar="PATH",
        help="write here (NAME.prom in node_exporter's --collector.textfile.directory) through "
        "a temporary file in the same folder; without it, print to stdout",
    )
    metrics.set_defaults(run=run_metrics)


def run_metrics(args: argparse.Namespace) -> None:
    from prometheus_client import generate_latest, write_to_textfile

    from chainprice.jobs.metrics import lake_metrics
    from chainprice.lake.manifest import load_manifest

    registry = lake_metrics(load_manifest(args.lake))
    if args.textfile is None:
        sys.stdout.write(generate_latest(registry).decode())
        return
    write_to_textfile(str(args.textfile), registry)
