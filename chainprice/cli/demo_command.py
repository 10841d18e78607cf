"""``chainprice demo``: the whole flow on this machine, with nothing to set up.

Starts the simulated node on loopback, ingests its chain into a local lake
through Bitcoin Core's REST interface, prices the day from the lake, and
prints it beside the price from the node directly and the planted truth.
A second run ingests nothing (the lake has every block); only its "from
node" comparison fetches the day's blocks again, and says how many requests
that took.
"""

from __future__ import annotations

import argparse
import datetime as dt
import tempfile

from chainprice.cli.options import store_arg


def add_demo_parser(commands: argparse._SubParsersAction) -> None:
    demo = commands.add_parser(
        "demo", help="simulated node -> local lake -> price, all on this machine"
    )
    demo.add_argument(
        "--lake",
        type=store_arg,
        default="lake-data",
        help="lake URL (default: the folder ./lake-data)",
    )
    demo.set_defaults(run=run_demo)


def run_demo(args: argparse.Namespace) -> None:
    from chainprice.adapters.exchange import ExchangePrices
    from chainprice.adapters.node import NodeChain, NodeConfig, open_source
    from chainprice.cli.render import text
    from chainprice.core import parse_block, price_day
    from chainprice.lake.exchange_rates import LakeExchange
    from chainprice.lake.ingest import ingest
    from chainprice.lake.manifest import load_manifest
    from chainprice.lake.window_prices import day_price
    from chainprice.nodesim import NodeSim, ServedChain
    from chainprice.simchain import compact_day, generate_chain

    sim = generate_chain(compact_day())
    day = dt.date(2024, 6, 1)
    with (
        tempfile.TemporaryDirectory() as datadir,
        NodeSim(ServedChain.from_simulated(sim), datadir=datadir) as node,
    ):
        print(f"simulated node at {node.url} (blocks {sim.start_height}..{sim.tip})")
        chain = NodeChain(open_source(node.url, "rest", config=NodeConfig()))
        exchange = LakeExchange(args.lake, ExchangePrices(node.esplora_url))
        report = ingest(args.lake, chain, start_height=sim.start_height, exchange=exchange)
        print(f"ingested {report.blocks} blocks into {args.lake.url} in {report.seconds:.2f} s")
        from_lake = day_price(args.lake, load_manifest(args.lake), day)
        before = chain.stats.snapshot()["requests"]
        direct = price_day(chain, lambda a, b: chain.iter_blocks(a, b, parse_block), day)
        refetched = chain.stats.snapshot()["requests"] - before
        stored = load_manifest(args.lake).days[day.isoformat()]
    print(text(from_lake, sim.planted_mean(day)))
    same = direct.price == from_lake.price
    print(
        f"  from node   {direct.price!r} (the same as the lake's: {same}; the day's blocks "
        f"fetched again for this comparison only, {refetched} requests)"
    )
    if stored["exchange_price"] is not None:
        print(
            f"  exchange    ${stored['exchange_price']:,.0f} (simulated price API), "
            f"difference {stored['diff_pct']:+.2f}%"
        )
