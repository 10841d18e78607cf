"""Run the simulated node as a process: ``python -m nodesim`` (or ``chainprice node-sim``).

It prints one line with the URLs once it answers, then serves until
SIGINT or SIGTERM, and on the way out removes its cookie file.
"""

from __future__ import annotations

import argparse
import datetime as dt
import signal
import sys
import threading
from dataclasses import replace
from pathlib import Path

from core.errors import ChainPriceError, SourceError
from nodesim.faults import FaultPlan
from nodesim.served_chain import DEFAULT_MEMPOOL_SIZE, ServedChain
from nodesim.server import NodeSim
from simchain import ChainSpec, compact_day, full_size_day

PRESETS = {"compact": compact_day, "full": full_size_day}


def _positive(text: str) -> float:
    value = float(text)
    if value <= 0:
        raise argparse.ArgumentTypeError(f"must be positive, not {text}")
    return value


def _rate(text: str) -> float:
    value = float(text)
    if not 0.0 <= value <= 1.0:
        raise argparse.ArgumentTypeError(f"must be between 0 and 1, not {text}")
    return value


def add_arguments(parser: argparse.ArgumentParser) -> None:
    chain = parser.add_argument_group("chain")
    chain.add_argument(
        "--preset",
        choices=sorted(PRESETS),
        default="compact",
        help="simulated day: compact (~26 MB) or full (mainnet-sized, ~250 MB)",
    )
    chain.add_argument("--price", type=_positive, help="planted USD price at the first midnight")
    chain.add_argument("--seed", type=int, help="generator seed (default: the preset's)")
    chain.add_argument("--days", type=int, default=1, help="simulated UTC days (default 1)")
    chain.add_argument("--start-date", type=dt.date.fromisoformat, help="first day, YYYY-MM-DD")
    chain.add_argument(
        "--mempool-size",
        type=int,
        default=DEFAULT_MEMPOOL_SIZE,
        help="unconfirmed transactions after the tip",
    )
    chain.add_argument(
        "--chain",
        type=Path,
        metavar="DIR",
        help="serve a golden-layout folder instead of generating a chain",
    )
    node = parser.add_argument_group("node")
    node.add_argument("--host", default="127.0.0.1")
    node.add_argument("--port", type=int, default=8332, help="0 picks a free port")
    node.add_argument("--rpc-user", default="", help="RPC user name")
    node.add_argument("--rpc-password", help="RPC password (the cookie works either way)")
    node.add_argument("--datadir", type=Path, help="where the .cookie file is written")
    node.add_argument(
        "--legacy-jsonrpc",
        action="store_true",
        help="answer JSON-RPC 2.0 requests as Core did before v28",
    )
    faults = parser.add_argument_group("faults (block, header and price requests)")
    faults.add_argument("--latency-ms", type=float, default=0.0)
    faults.add_argument("--error-rate", type=_rate, default=0.0)
    faults.add_argument("--drop-rate", type=_rate, default=0.0)
    faults.add_argument("--truncate-rate", type=_rate, default=0.0)
    faults.add_argument("--fault-seed", type=int, default=0)


def _spec(args: argparse.Namespace) -> ChainSpec:
    base = PRESETS[args.preset]() if args.seed is None else PRESETS[args.preset](args.seed)
    changes: dict[str, object] = {"days": args.days}
    if args.price is not None:
        changes["price_usd"] = args.price
    if args.start_date is not None:
        changes["start_date"] = args.start_date
    return replace(base, **changes)


def build_node(args: argparse.Namespace) -> NodeSim:
    """The node the arguments describe, not started (bad values raise ``SourceError``)."""
    try:
        if args.chain is not None:
            chain = ServedChain.from_directory(args.chain)
        else:
            chain = ServedChain.from_spec(_spec(args), args.mempool_size)
        plan = FaultPlan(
            latency_ms=args.latency_ms,
            error_rate=args.error_rate,
            drop_rate=args.drop_rate,
            truncate_rate=args.truncate_rate,
            seed=args.fault_seed,
        )
        return NodeSim(
            chain,
            faults=plan,
            rpc_user=args.rpc_user,
            rpc_password=args.rpc_password,
            datadir=args.datadir,
            host=args.host,
            port=args.port,
            legacy_jsonrpc=args.legacy_jsonrpc,
        )
    except ValueError as err:
        raise SourceError(f"cannot set up the simulated node: {err}") from None


def run(args: argparse.Namespace) -> int:
    """Serve until SIGINT/SIGTERM (call from the main thread); returns the exit code."""
    node = build_node(args)
    stop = threading.Event()
    previous = {
        sig: signal.signal(sig, lambda *_: stop.set()) for sig in (signal.SIGINT, signal.SIGTERM)
    }
    try:
        try:
            node.start()
        except OSError as err:
            raise SourceError(f"cannot listen on {args.host}:{args.port}: {err.strerror}") from None
        chain = node.chain
        print(
            f"nodesim ready url={node.url} rest={node.url}/rest esplora={node.esplora_url} "
            f"prices={node.url}/api/v1 cookie={node.cookie_path or '-'} "
            f"blocks={chain.start_height}..{chain.tip}",
            flush=True,
        )
        stop.wait()
    finally:
        node.stop()
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    return 0


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        prog="nodesim", description="Serve a simulated Bitcoin node (Core RPC/REST, Esplora)."
    )
    add_arguments(parser)
    args = parser.parse_args(argv)
    try:
        sys.exit(run(args))
    except ChainPriceError as err:
        parser.exit(2, f"nodesim: error: {err}\n")
