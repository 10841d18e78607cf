"""How fast the node clients read a day of blocks from a node over loopback.

Starts the simulated node in its own process (as a real node would be), then
for each client (Bitcoin Core REST, JSON-RPC, Esplora) fetches every block of
the served chain through ``NodeChain`` with N workers, each round with a
fresh client, and prints MB/s; then the whole job (window search, fetch,
verification by the parser, price) per client. Also compares two ways of
decoding one block's JSON-RPC answer (``json.loads`` + ``bytes.fromhex``
against the located-string shortcut in ``adapters/node/hexjson.py``).

    uv run python benchmarks/node_fetch_speed.py [--preset full|compact] [--workers 8] [--repeat 3]
"""

from __future__ import annotations

import argparse
import binascii
import datetime as dt
import json
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from chainprice.adapters.node import NodeChain, NodeConfig, open_source  # noqa: E402
from chainprice.adapters.node.hexjson import loads_hex_answer  # noqa: E402
from chainprice.core import RawBlock, parse_blocks, price_day  # noqa: E402
from chainprice.simchain import compact_day, full_size_day  # noqa: E402

KINDS = ("rest", "rpc", "esplora")


def best_of(repeat: int, fn: Callable[[], object]) -> list[float]:
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return times


def decode_speed(block: bytes, repeat: int) -> None:
    body = json.dumps({"result": block.hex(), "error": None, "id": 1}).encode()
    plain = best_of(repeat, lambda: bytes.fromhex(json.loads(body)["result"]))
    fast = best_of(repeat, lambda: loads_hex_answer(body))
    assert loads_hex_answer(body)["result"] == block == binascii.unhexlify(block.hex())
    mb = len(block) / 1e6
    print(f"decode one {mb:.2f} MB block from a {len(body) / 1e6:.2f} MB JSON-RPC answer:")
    print(f"  json.loads + bytes.fromhex  {min(plain) * 1e3:7.2f} ms  {mb / min(plain):6.0f} MB/s")
    print(f"  located string, compiled   {min(fast) * 1e3:7.2f} ms  {mb / min(fast):6.0f} MB/s")


def start_node(preset: str, datadir: str) -> tuple[subprocess.Popen[str], str, float]:
    command = [sys.executable, "-m", "chainprice.nodesim", "--preset", preset, "--port", "0"]
    command += ["--rpc-user", "u", "--rpc-password", "p", "--datadir", datadir]
    t0 = time.perf_counter()
    node = subprocess.Popen(command, cwd=ROOT, stdout=subprocess.PIPE, text=True)
    assert node.stdout is not None
    line = node.stdout.readline()
    if not line.startswith("nodesim ready"):
        node.kill()
        raise SystemExit(f"the simulated node did not start: {line!r}")
    url = dict(part.split("=", 1) for part in line.split()[2:])["url"]
    return node, url, time.perf_counter() - t0


def parse_one(height: int, data: bytes) -> None:
    parse_blocks([RawBlock(height, data)])


def client(url: str, kind: str, config: NodeConfig, verify: bool = False) -> NodeChain:
    """A fresh client and chain view, as a new function instance would make."""
    source = open_source(url, kind, config=config)  # type: ignore[arg-type]
    return NodeChain(source, workers=config.workers, verify=parse_one if verify else None)


def report_fetch(urls: dict[str, str], config: NodeConfig, heights: range, repeat: int) -> None:
    probe = client(urls["rest"], "rest", config)
    blocks = probe.fetch(heights.start, heights.stop)
    mb = sum(len(b.data) for b in blocks) / 1e6
    decode_speed(bytes(max(blocks, key=lambda b: len(b.data)).data), 20)
    print(f"fetch all {len(heights)} blocks ({mb:.1f} MB), {config.workers} workers:")
    for kind, url in urls.items():

        def fetch_all(url: str = url, kind: str = kind) -> None:
            client(url, kind, config).fetch(heights.start, heights.stop)

        rounds = best_of(repeat + 1, fetch_all)
        first, rest = rounds[0], rounds[1:]  # the first round also warms the node's caches
        best, median = min(rest), statistics.median(rest)
        print(
            f"  {kind:8s} first {first:6.3f} s  best {best:6.3f} s ({mb / best:4.0f} MB/s)"
            f"  median {median:6.3f} s ({mb / median:4.0f} MB/s)"
        )


def report_job(urls: dict[str, str], config: NodeConfig, day: dt.date, repeat: int) -> None:
    print(f"price {day} end to end (headers, fetch, parser check per block, price):")
    for kind, url in urls.items():

        def job(url: str = url, kind: str = kind) -> None:
            chain = client(url, kind, config, verify=True)
            price_day(chain, chain.fetch, day)

        rounds = best_of(repeat, job)
        print(f"  {kind:8s} best {min(rounds):6.3f} s  median {statistics.median(rounds):6.3f} s")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--preset", choices=("full", "compact"), default="full")
    parser.add_argument("--workers", type=int, default=8)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    spec = full_size_day() if args.preset == "full" else compact_day()
    config = NodeConfig(rpc_user="u", rpc_password="p", workers=args.workers)
    with tempfile.TemporaryDirectory() as datadir:
        node, url, ready = start_node(args.preset, datadir)
        try:
            print(f"{args.preset} simulated node ready in {ready:.1f} s at {url}")
            urls = {"rest": url, "rpc": url, "esplora": url + "/api"}
            tip = client(url, "rest", config).block_count()
            report_fetch(urls, config, range(spec.start_height, tip + 1), args.repeat)
            report_job(urls, config, spec.start_date, args.repeat)
        finally:
            node.terminate()
            node.wait(timeout=30)


if __name__ == "__main__":
    main()
