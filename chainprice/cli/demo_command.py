"""``chainprice demo``: the whole product on this machine, with nothing to set up.

Starts the simulated node on loopback (a few generated days, a mempool that
receives transactions and, while serving, a new block every few seconds),
runs the ``ingest`` and ``mempool`` jobs into a local lake, prints the day's
price from the lake beside the price from the node directly and the planted
truth, builds the static site next to the lake and serves it, then keeps the
jobs running on a schedule so the page updates, until Ctrl-C. ``--no-serve``
does it all once and exits. Everything it shows is labelled simulated.
"""

from __future__ import annotations

import argparse
import dataclasses
import datetime as dt
import shutil
import tempfile
import threading
from pathlib import Path
from typing import TYPE_CHECKING

from chainprice.cli.options import store_arg
from chainprice.cli.site_command import bind_server

if TYPE_CHECKING:
    from chainprice.adapters.file_server import FileServer
    from chainprice.adapters.storage import ObjectStore
    from chainprice.jobs.wiring import Wiring
    from chainprice.nodesim import NodeSim
    from chainprice.simchain import SimulatedChain

NOTICE = "SIMULATED DATA: chainprice demo (a generated chain with a planted price)"
DAYS = 3
MEMPOOL_SIZE = 3000
MEMPOOL_RATE = 10.0
MINE_EVERY = 20.0
INGEST_EVERY = 20.0
MEMPOOL_EVERY = 10.0


def add_demo_parser(commands: argparse._SubParsersAction) -> None:
    demo = commands.add_parser(
        "demo",
        help="the whole product on this machine: simulated node -> jobs -> lake -> site",
        description="Starts a simulated node (clearly labelled simulated data), ingests a few "
        "days into a local lake, computes every series, builds and serves the site, and keeps "
        "the scheduled jobs running until Ctrl-C.",
    )
    demo.add_argument(
        "--lake",
        type=store_arg,
        default="lake-data",
        help="lake URL (default: the folder ./lake-data)",
    )
    demo.add_argument(
        "--no-serve",
        action="store_true",
        help="run everything once (no mining, no server) and exit",
    )
    demo.add_argument("--host", default="127.0.0.1", help="where to serve the site")
    demo.add_argument("--port", type=int, default=8000, help="the site's port (default 8000)")
    demo.set_defaults(run=run_demo)


def _fresh_lake_if_from_an_earlier_demo(store: ObjectStore, sim: SimulatedChain) -> None:
    """A local demo lake holding blocks an earlier demo mined (past the generated tip) is
    started afresh: this node's new blocks would fork from them."""
    from chainprice.lake.manifest import load_manifest

    tip = load_manifest(store).tip_height
    root = getattr(store, "root", None)
    if tip is not None and tip > sim.tip and root is not None:
        print(f"the lake at {store.url} holds blocks an earlier demo mined: starting it afresh")
        shutil.rmtree(root)
        Path(root).mkdir(parents=True)


def _wiring(store: ObjectStore, node: NodeSim, sim: SimulatedChain) -> Wiring:
    from chainprice.adapters.node import NodeConfig
    from chainprice.jobs.settings import JobSettings, NodeSettings
    from chainprice.jobs.wiring import Wiring

    settings = JobSettings(
        lake_url=store.url,
        node=NodeSettings(url=node.url, source="rest", config=NodeConfig()),
        prices_url=node.esplora_url,
        start_height=sim.start_height,
        mempool_window_hours=24.0,
    )
    return Wiring(settings, store=store)


def _first_runs(wiring: Wiring, sim: SimulatedChain) -> None:
    from chainprice.cli.render import text
    from chainprice.core import parse_block, price_day
    from chainprice.jobs.ingest import ingest_job
    from chainprice.jobs.mempool import mempool_job
    from chainprice.lake.manifest import load_manifest
    from chainprice.lake.window_prices import day_price

    report = ingest_job(wiring, quiet=True)
    print(f"ingested {report.blocks} blocks into {wiring.store.url} in {report.seconds:.2f} s")
    day = dt.date.fromisoformat(max(load_manifest(wiring.store).days))
    from_lake = day_price(wiring.store, load_manifest(wiring.store), day)
    chain = wiring.node
    before = chain.stats.snapshot()["requests"]
    direct = price_day(chain, lambda a, b: chain.iter_blocks(a, b, parse_block), day)
    refetched = chain.stats.snapshot()["requests"] - before
    stored = load_manifest(wiring.store).days[day.isoformat()]
    print(text(from_lake, sim.planted_mean(day)))
    print(
        f"  from node   {direct.price!r} (the same as the lake's: {direct.price == from_lake.price}"
        f"; the day's blocks fetched again for this comparison only, {refetched} requests)"
    )
    if stored["exchange_price"] is not None:
        print(
            f"  exchange    ${stored['exchange_price']:,.0f} (simulated price API), "
            f"difference {stored['diff_pct']:+.2f}%"
        )
    fields = mempool_job(wiring, quiet=True)
    print(
        f"  mempool     ${fields['price']:,.0f} UNCONFIRMED, confidence "
        f"{fields['confidence']:.2f}, {fields['n_candidates']:,} candidates"
    )


def _build_site(store: ObjectStore) -> Path | None:
    from chainprice.core.errors import ChainPriceError
    from chainprice.sitebuild import build_site, page_lake_url

    root = getattr(store, "root", None)
    if root is None:
        print("the site is built for a local lake only: skipped")
        return None
    out = Path(root) / "site"
    try:
        files = build_site(out, page_lake_url(str(root), out), notice=NOTICE)
    except ChainPriceError as exc:
        print(f"site not built: {exc}")
        return None
    print(f"site written to {out} ({len(files)} files)")
    return out


def _schedule(wiring: Wiring, stop: threading.Event) -> None:
    """The cloud schedule, faster: ingest and the mempool estimate, each on its own period."""
    from chainprice.core.errors import ChainPriceError
    from chainprice.jobs.ingest import ingest_job
    from chainprice.jobs.mempool import mempool_job
    from chainprice.jobs.wiring import Wiring

    next_ingest = next_mempool = 0.0
    clock = 0.0
    while not stop.wait(1.0):
        clock += 1.0
        try:
            if clock >= next_ingest:
                next_ingest = clock + INGEST_EVERY
                # a fresh node client each run, as a stateless function has
                report = ingest_job(Wiring(wiring.settings, store=wiring.store), quiet=True)
                if report.blocks:
                    print(f"[ingest] {report.blocks} new block(s), lake tip {report.lake_height}")
            if clock >= next_mempool:
                next_mempool = clock + MEMPOOL_EVERY
                fields = mempool_job(wiring, quiet=True)
                print(f"[mempool] ${fields['price']:,.0f} UNCONFIRMED, {fields['n_fetched']} new")
        except ChainPriceError as exc:
            print(f"[job] error: {exc}")


def run_demo(args: argparse.Namespace) -> int:
    from chainprice.nodesim import NodeSim, ServedChain
    from chainprice.nodesim.moving_mempool import MempoolFlow, MovingMempool
    from chainprice.simchain import compact_day, generate_chain

    root = getattr(args.lake, "root", None)  # the site is served from a local lake only
    # bound first, so that a port in use is said before the minute the demo takes
    server = (
        None if args.no_serve or root is None else bind_server(Path(root), args.host, args.port)
    )
    sim = generate_chain(dataclasses.replace(compact_day(), days=DAYS))
    _fresh_lake_if_from_an_earlier_demo(args.lake, sim)
    print(NOTICE)
    chain = ServedChain.from_simulated(sim, MEMPOOL_SIZE)
    flow = MempoolFlow(rate=MEMPOOL_RATE, mine_every=None if args.no_serve else MINE_EVERY)
    moving = MovingMempool(chain, sim, flow)
    with tempfile.TemporaryDirectory() as datadir, NodeSim(chain, datadir=datadir) as node:
        moving.start()
        try:
            print(f"simulated node at {node.url} (blocks {sim.start_height}..{sim.tip})")
            wiring = _wiring(args.lake, node, sim)
            _first_runs(wiring, sim)
            site = _build_site(args.lake)
            if server is None or site is None:
                return 0
            return _serve(server, wiring)
        finally:
            moving.stop()
            if server is not None:
                server.server_close()


def _serve(server: FileServer, wiring: Wiring) -> int:
    host, port = server.server_address[:2]
    stop = threading.Event()
    jobs = threading.Thread(target=_schedule, args=(wiring, stop), daemon=True)
    jobs.start()
    print(
        f"the site is at http://{host}:{port}/site/ (simulated data; a block every "
        f"{MINE_EVERY:g} s, ingest every {INGEST_EVERY:g} s, mempool every {MEMPOOL_EVERY:g} s; "
        "Ctrl-C stops everything)",
        flush=True,
    )
    try:
        with server:
            server.serve_forever()
    except KeyboardInterrupt:
        print("stopping")
    finally:
        stop.set()
        jobs.join(timeout=60)
    return 0
