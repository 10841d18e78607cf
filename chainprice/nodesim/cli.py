"""Run the simulated node as a process: ``python -m chainprice.nodesim`` or ``chainprice node-sim``.

It prints one line with the URLs once it answers, then serves until
SIGINT or SIGTERM, and on the way out removes its cookie file.
"""

from __future__ import annotations

import argparse
import datetime as dt
import gc
import signal
import sys
import tempfile
import threading
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING

from chainprice.core.errors import ChainPriceError, SourceError

if TYPE_CHECKING:
    from chainprice.nodesim.moving_mempool import MovingMempool
    from chainprice.nodesim.server import NodeSim
    from chainprice.simchain import ChainSpec

PRESETS = {"compact": "compact_day", "full": "full_size_day"}
"""Preset name -> the ``simchain`` function that makes its spec (imported only when used)."""
DEFAULT_PORT = 8332
MEMPOOL_SIZE_HELP = "unconfirmed transactions after the tip (default 300)"


def _positive(text: str) -> float:
    value = float(text)
    if value <= 0:
        raise argparse.ArgumentTypeError(f"must be positive, not {text}")
    return value


def _rate(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        value = -1.0
    if not 0.0 <= value <= 1.0:
        raise argparse.ArgumentTypeError(f"must be a number from 0 to 1, not {text!r}")
    return value


def _height(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        value = -1
    if value < 0:
        raise argparse.ArgumentTypeError(f"must be a block height (0 or more), not {text!r}")
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
    chain.add_argument("--mempool-size", type=int, help=MEMPOOL_SIZE_HELP)
    chain.add_argument(
        "--chain",
        type=Path,
        metavar="DIR",
        help="serve a golden-layout folder instead of generating a chain",
    )
    moving = parser.add_argument_group("moving mempool and mining")
    moving.add_argument(
        "--mempool-rate",
        type=float,
        default=0.0,
        metavar="TX/S",
        help="transactions arriving per wall-clock second (default 0: a still mempool)",
    )
    moving.add_argument(
        "--replace-rate",
        type=_rate,
        default=0.05,
        help="replacements (RBF) per arriving transaction (default 0.05)",
    )
    moving.add_argument(
        "--mempool-max",
        type=int,
        default=300_000,
        help="entries kept; the lowest-fee ones beyond are evicted (default 300000)",
    )
    moving.add_argument(
        "--mine-every",
        type=_positive,
        metavar="SECONDS",
        help="mine a block confirming mempool transactions every SECONDS",
    )
    moving.add_argument(
        "--blocksonly",
        action="store_true",
        help="act as a -blocksonly node: no relayed transactions, localrelay false",
    )
    node = parser.add_argument_group("node")
    node.add_argument(
        "--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1)"
    )
    node.add_argument(
        "--port",
        type=int,
        default=DEFAULT_PORT,
        help=f"port for every protocol (default {DEFAULT_PORT}, as Core's RPC); 0 picks a free one",
    )
    node.add_argument("--rpc-user", default="", help="RPC user name")
    node.add_argument(
        "--rpc-password",
        help="RPC password; without it (and without --datadir) the cookie is written to a "
        "temporary folder named in the ready line",
    )
    node.add_argument("--datadir", type=Path, help="where the .cookie file is written")
    node.add_argument(
        "--prune-below",
        type=_height,
        metavar="H",
        help="act as a pruned node that has discarded the blocks below height H "
        "(headers stay; getblock answers RPC error -1, REST and Esplora 404)",
    )
    node.add_argument(
        "--legacy-jsonrpc",
        action="store_true",
        help="answer JSON-RPC 2.0 requests as Core did before v28",
    )
    faults = parser.add_argument_group("faults (block, header and price requests)")
    faults.add_argument(
        "--latency-ms", type=float, default=0.0, help="added to every answer (default 0)"
    )
    faults.add_argument(
        "--error-rate",
        type=_rate,
        default=0.0,
        help="share of answers that are HTTP 500/503, 0..1 (default 0)",
    )
    faults.add_argument(
        "--drop-rate",
        type=_rate,
        default=0.0,
        help="share of connections closed without an answer, 0..1 (default 0)",
    )
    faults.add_argument(
        "--truncate-rate",
        type=_rate,
        default=0.0,
        help="share of block answers cut short, 0..1 (default 0)",
    )
    faults.add_argument(
        "--fault-seed",
        type=int,
        default=0,
        help="seed of the fault draws: the same seed gives the same faults (default 0)",
    )


def _spec(args: argparse.Namespace) -> ChainSpec:
    from chainprice import simchain

    preset = getattr(simchain, PRESETS[args.preset])
    base = preset() if args.seed is None else preset(args.seed)
    changes: dict[str, object] = {"days": args.days}
    if args.price is not None:
        changes["price_usd"] = args.price
    if args.start_date is not None:
        changes["start_date"] = args.start_date
    return replace(base, **changes)


def _moves(args: argparse.Namespace) -> bool:
    return args.mempool_rate > 0 or args.mine_every is not None


def build_node(args: argparse.Namespace) -> tuple[NodeSim, MovingMempool | None]:
    """The node the arguments describe and what moves its mempool, neither started (bad
    values raise ``SourceError``)."""
    from chainprice.nodesim.faults import FaultPlan
    from chainprice.nodesim.moving_mempool import MempoolFlow, MovingMempool
    from chainprice.nodesim.served_chain import DEFAULT_MEMPOOL_SIZE, ServedChain
    from chainprice.nodesim.server import NodeSim
    from chainprice.simchain import generate_chain

    mempool_size = DEFAULT_MEMPOOL_SIZE if args.mempool_size is None else args.mempool_size
    moving = None
    try:
        if args.chain is not None:
            if _moves(args):
                raise SourceError(
                    "--mempool-rate and --mine-every need a generated chain, not --chain"
                )
            chain = ServedChain.from_directory(args.chain)
        else:
            sim = generate_chain(_spec(args))
            chain = ServedChain.from_simulated(sim, 0 if args.blocksonly else mempool_size)
            if _moves(args) and not args.blocksonly:
                flow = MempoolFlow(
                    rate=args.mempool_rate,
                    replace_rate=args.replace_rate,
                    max_size=args.mempool_max,
                    mine_every=args.mine_every,
                )
                moving = MovingMempool(chain, sim, flow)
        chain.relay = not args.blocksonly
        plan = FaultPlan(
            latency_ms=args.latency_ms,
            error_rate=args.error_rate,
            drop_rate=args.drop_rate,
            truncate_rate=args.truncate_rate,
            seed=args.fault_seed,
        )
        node = NodeSim(
            chain,
            faults=plan,
            rpc_user=args.rpc_user,
            rpc_password=args.rpc_password,
            datadir=args.datadir,
            host=args.host,
            port=args.port,
            legacy_jsonrpc=args.legacy_jsonrpc,
            prune_below=args.prune_below,
        )
        return node, moving
    except ValueError as err:
        raise SourceError(f"cannot set up the simulated node: {err}") from None


def run(args: argparse.Namespace) -> int:
    """Serve until SIGINT/SIGTERM (call from the main thread); returns the exit code.

    Without a password or a datadir, the cookie goes to a temporary folder
    (removed at exit), so RPC always has some auth and the command just works.
    """
    with tempfile.TemporaryDirectory(prefix="nodesim-") as temp:
        if args.datadir is None and not args.rpc_password:
            args = argparse.Namespace(**{**vars(args), "datadir": Path(temp)})
        node, moving = build_node(args)
        # the chain and mempool live until exit: keep the collector from rescanning them
        # on every batch answer (a 50,000-entry pool made each scan cost tens of ms)
        gc.freeze()
        return _serve(node, moving, args)


def _serve(node: NodeSim, moving: MovingMempool | None, args: argparse.Namespace) -> int:
    stop = threading.Event()
    previous = {
        sig: signal.signal(sig, lambda *_: stop.set()) for sig in (signal.SIGINT, signal.SIGTERM)
    }
    try:
        try:
            node.start()
        except OSError as err:
            raise SourceError(f"cannot listen on {args.host}:{args.port}: {err.strerror}") from None
        if moving is not None:
            moving.start()
        chain = node.chain
        print(
            f"nodesim ready url={node.url} rest={node.url}/rest esplora={node.esplora_url} "
            f"prices={node.url}/api/v1 cookie={node.cookie_path or '-'} "
            f"blocks={chain.start_height}..{chain.tip}",
            flush=True,
        )
        stop.wait()
    finally:
        if moving is not None:
            moving.stop()
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
