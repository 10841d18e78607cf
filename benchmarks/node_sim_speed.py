"""How fast a client pulls a full-size simulated day from the simulated node over loopback.

The node runs in its own process (``python -m chainprice.nodesim``), or with
``--in-process`` in a thread of this one, serving ``full_size_day()``; this
process fetches every block of the chain, split
over N keep-alive connections (one thread each), through

- Core REST ``/rest/block/<hash>.bin`` (raw bytes), read with requests'
  ``.content`` and with one ``raw.read()`` per body, and
- Core JSON-RPC batches of ``getblock <hash> 0`` (hex in JSON, decoded here),

and prints MB/s of raw block bytes for each protocol and connection count,
then the time to fetch the day over REST and price it (``core.price_day``).
The first RPC pass also pays the node's one-time hex encoding of each block;
after that, the client's ``json.loads`` of the hex strings dominates.

    uv run python benchmarks/node_sim_speed.py [--connections 4 8] [--batch 8] [--repeat 3]
        [--in-process]
"""

from __future__ import annotations

import argparse
import contextlib
import json
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

import requests

from chainprice.adapters.memory_chain import MemoryChain
from chainprice.core import price_day
from chainprice.nodesim import NodeSim, ServedChain
from chainprice.simchain import full_size_day

USER, PASSWORD = "bench", "bench"


@contextlib.contextmanager
def running_node(in_process: bool) -> Iterator[str]:
    """The node's URL: ``python -m chainprice.nodesim`` in a child process, or a thread here."""
    if in_process:
        with NodeSim(
            ServedChain.from_spec(full_size_day()), rpc_user=USER, rpc_password=PASSWORD
        ) as node:
            yield node.url
        return
    with tempfile.TemporaryDirectory() as datadir:
        cmd = [sys.executable, "-m", "chainprice.nodesim", "--preset", "full", "--port", "0"]
        cmd += ["--rpc-user", USER, "--rpc-password", PASSWORD, "--datadir", datadir]
        proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, text=True)
        try:
            assert proc.stdout is not None
            line = proc.stdout.readline()
            if not line.startswith("nodesim ready"):
                raise SystemExit(f"the node did not start: {line!r}")
            yield dict(word.split("=", 1) for word in line.split()[2:])["url"]
        finally:
            proc.terminate()
            proc.wait()


def block_hashes(url: str) -> list[str]:
    """Every served block's hash, from the preset's first height to the tip."""
    tip = requests.post(url, json={"method": "getblockcount", "id": 0}, auth=(USER, PASSWORD))
    heights = range(full_size_day().start_height, tip.json()["result"] + 1)
    calls = [{"method": "getblockhash", "params": [h], "id": h} for h in heights]
    return [r["result"] for r in requests.post(url, json=calls, auth=(USER, PASSWORD)).json()]


def _rest_worker(url: str, hashes: list[str], streamed: bool) -> int:
    """``streamed``: read each body in one call (``raw.read()``) instead of ``.content``,
    which requests assembles from 10 kB chunks."""
    total = 0
    with requests.Session() as session:
        for block_hash in hashes:
            reply = session.get(f"{url}/rest/block/{block_hash}.bin", stream=streamed)
            reply.raise_for_status()
            total += len(reply.raw.read() if streamed else reply.content)
    return total


def _rpc_worker(url: str, hashes: list[str], batch: int) -> int:
    total = 0
    with requests.Session() as session:
        session.auth = (USER, PASSWORD)
        for i in range(0, len(hashes), batch):
            calls = [
                {"method": "getblock", "params": [h, 0], "id": n}
                for n, h in enumerate(hashes[i : i + batch])
            ]
            reply = session.post(url, data=json.dumps(calls))
            reply.raise_for_status()
            total += sum(len(bytes.fromhex(r["result"])) for r in reply.json())
    return total


def fetch_and_price(url: str, hashes: list[str], connections: int) -> tuple[float, float]:
    """Seconds to pull every block (REST, one read per body) and then to price the day."""
    shares = [hashes[i::connections] for i in range(connections)]

    def pull(share: list[str]) -> list[bytes]:
        with requests.Session() as session:
            return [session.get(f"{url}/rest/block/{h}.bin", stream=True).raw.read() for h in share]

    start = time.perf_counter()
    with ThreadPoolExecutor(connections) as pool:
        pulled = list(pool.map(pull, shares))
    fetched = time.perf_counter() - start
    first = full_size_day().start_height
    blocks = {
        first + i * connections + k: raw
        for k, got in enumerate(pulled)
        for i, raw in enumerate(got)
    }
    source = MemoryChain(blocks)
    price_day(source, source.fetch, full_size_day().start_date)
    return fetched, time.perf_counter() - start


def timed_pull(worker, url: str, hashes: list[str], connections: int, *extra) -> tuple[float, int]:
    shares = [hashes[i::connections] for i in range(connections)]
    start = time.perf_counter()
    with ThreadPoolExecutor(connections) as pool:
        total = sum(pool.map(lambda share: worker(url, share, *extra), shares))
    return time.perf_counter() - start, total


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--connections", type=int, nargs="+", default=[4, 8])
    parser.add_argument("--batch", type=int, default=8, help="getblock calls per RPC batch")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument(
        "--in-process", action="store_true", help="serve from a thread of this process instead"
    )
    args = parser.parse_args()
    started = time.perf_counter()
    with running_node(args.in_process) as url:
        print(f"node up in {time.perf_counter() - started:.1f} s (generation included) at {url}")
        hashes = block_hashes(url)
        print(f"{len(hashes)} blocks")
        for protocol, worker, extra in (
            ("REST .bin, .content", _rest_worker, (False,)),
            ("REST .bin, raw.read()", _rest_worker, (True,)),
            (f"RPC getblock 0, batches of {args.batch}", _rpc_worker, (args.batch,)),
        ):
            for connections in args.connections:
                runs = [
                    timed_pull(worker, url, hashes, connections, *extra) for _ in range(args.repeat)
                ]
                size = runs[0][1]
                times = [t for t, _ in runs]
                print(
                    f"{protocol:34s} {connections} connections: {size / 1e6:.0f} MB, "
                    f"first {times[0]:.2f} s ({size / times[0] / 1e6:.0f} MB/s), "
                    f"best {min(times):.2f} s ({size / min(times) / 1e6:.0f} MB/s), "
                    f"median {statistics.median(times):.2f} s"
                )
        for _ in range(args.repeat):
            fetched, total = fetch_and_price(url, hashes, 4)
            print(
                f"fetch (REST, 4 connections) + price_day: {fetched:.2f} s + "
                f"{total - fetched:.2f} s = {total:.2f} s"
            )


if __name__ == "__main__":
    main()
