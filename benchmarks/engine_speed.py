"""Benchmark of the price engine on simulated days held in memory.

Prints, for a full-size simulated day (about 150 blocks of 3,000 transactions,
about 230 MB): seconds, MB/s, transactions/s and peak RSS for the parse+filter
step and for the whole computation, measured in a fresh single-core process
that holds only the day's raw blocks. Then the cold start: a new process that
imports the engine and prices a compact day from block files, with the numba
cache warm and with it empty.

    uv run python benchmarks/engine_speed.py [--repeat 5]
"""

from __future__ import annotations

import argparse
import json
import os
import pickle
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

COLD_SCRIPT = """
import datetime as dt, sys
from chainprice.adapters.block_files import BlockFiles
from chainprice.core import price_day
chain = BlockFiles(sys.argv[1])
result = price_day(chain, chain.fetch, dt.date.fromisoformat(sys.argv[2]))
print(result.price)
"""


def _peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def worker(path: Path, repeat: int) -> None:
    """Time the engine on the pickled day in ``path``; print one JSON line of figures."""
    os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})  # one core
    with path.open("rb") as f:
        day, window, blocks = pickle.load(f)
    from chainprice.core import parse_blocks, price_blocks, recorded_amounts

    rss_input = _peak_rss_mb()
    price_blocks(blocks[:3], type(window)(window.start, window.start + 3, window.tip), "day", day)
    parse_times, whole_times = [], []
    for _ in range(repeat):
        t0 = time.perf_counter()
        cols = parse_blocks(blocks)
        amounts = recorded_amounts(cols)
        t1 = time.perf_counter()
        result = price_blocks(blocks, window, "day", day)
        t2 = time.perf_counter()
        parse_times.append(t1 - t0)
        whole_times.append(t2 - t1)
    rss_peak = _peak_rss_mb()  # before the per-step breakdown, which holds extra copies
    print(
        json.dumps(
            {
                "stages": _stages(blocks, window),
                "bytes": cols.n_bytes,
                "transactions": cols.n_transactions,
                "blocks": int(cols.block_height.size),
                "outputs": int(cols.out_value.size),
                "amounts": amounts.size,
                "price": result.price,
                "parse": parse_times,
                "whole": whole_times,
                "rss_input_mb": rss_input,
                "rss_peak_mb": rss_peak,
            }
        )
    )


def _stages(blocks: list, window) -> dict[str, float]:
    """Seconds of each step on its own (best of three), to show where the time goes."""
    import numpy as np

    from chainprice.core import parse_blocks
    from chainprice.core.block_walk import walk_block
    from chainprice.core.final_price import final_price
    from chainprice.core.histogram import clean_histogram, raw_histogram
    from chainprice.core.output_filter import kept_transactions, recorded_amounts
    from chainprice.core.price_points import price_points
    from chainprice.core.rough_price import rough_price
    from chainprice.core.sha256d import double_sha256_spans, merkle_tree

    bufs = [np.frombuffer(b.data, np.uint8) for b in blocks]
    for buf in bufs:
        buf.flags.writeable = False
    cols = parse_blocks(blocks)
    amounts = recorded_amounts(cols)
    hist = clean_histogram(raw_histogram(amounts.btc))
    rough = rough_price(hist).rough
    points = price_points(amounts, rough)
    walks = [walk_block(b) for b in bufs]
    pairs = list(zip(bufs, walks, strict=True))
    txids = [double_sha256_spans(b, w.spans) for b, w in pairs]
    steps = {
        "byte walk": lambda: [walk_block(b) for b in bufs],
        "txids": lambda: [double_sha256_spans(b, w.spans) for b, w in pairs],
        "merkle roots": lambda: [merkle_tree(t) for t in txids],
        "same-window lookup and filters": lambda: kept_transactions(cols),
        "histogram": lambda: clean_histogram(raw_histogram(amounts.btc)),
        "rough price": lambda: rough_price(hist),
        "price points": lambda: price_points(amounts, rough),
        "final price": lambda: final_price(points, rough, window.start, window.end - 1),
    }
    out = {}
    for name, step in steps.items():
        times = []
        for _ in range(3):
            t0 = time.perf_counter()
            step()
            times.append(time.perf_counter() - t0)
        out[name] = min(times)
    return out


def _row(name: str, seconds: list[float], n_bytes: int, n_tx: int) -> str:
    best, median = min(seconds), statistics.median(seconds)
    return (
        f"{name:<14} best {best:6.3f} s  median {median:6.3f} s  "
        f"{n_bytes / best / 1e6:7.0f} MB/s  {n_tx / best:10,.0f} tx/s"
    )


def full_day(repeat: int) -> None:
    from chainprice.adapters.memory_chain import MemoryChain
    from chainprice.core import day_window, latest_day
    from chainprice.simchain import full_size_day, generate_chain

    t0 = time.perf_counter()
    sim = generate_chain(full_size_day())
    print(
        f"simulated chain: {len(sim.blocks)} blocks, {sim.total_bytes / 1e6:.0f} MB, "
        f"generated in {time.perf_counter() - t0:.1f} s"
    )
    chain = MemoryChain({int(h): b for h, b in zip(sim.heights, sim.blocks, strict=True)})
    day = latest_day(chain)
    window = day_window(chain, day)
    blocks = chain.fetch(window.start, window.end)
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "day.pickle"
        with path.open("wb") as f:
            pickle.dump((day, window, blocks), f, protocol=pickle.HIGHEST_PROTOCOL)
        del sim, chain, blocks
        out = subprocess.run(
            [sys.executable, __file__, "--worker", str(path), "--repeat", str(repeat)],
            check=True,
            capture_output=True,
            text=True,
        ).stdout
    figures = json.loads(out.strip().splitlines()[-1])
    n_bytes, n_tx = figures["bytes"], figures["transactions"]
    print(
        f"full-size day {day}: {figures['blocks']} blocks, {n_bytes / 1e6:.0f} MB, "
        f"{n_tx:,} transactions, {figures['outputs']:,} outputs, "
        f"{figures['amounts']:,} recorded amounts, price {figures['price']:.2f} "
        f"(planted mean {full_size_day_mean(day):.2f})"
    )
    print(_row("parse+filter", figures["parse"], n_bytes, n_tx))
    print(_row("whole", figures["whole"], n_bytes, n_tx))
    stages = ", ".join(f"{name} {sec:.3f} s" for name, sec in figures["stages"].items())
    print(f"where the time goes (each step alone, best of three): {stages}")
    print(
        f"peak RSS {figures['rss_peak_mb']:.0f} MB "
        f"(of which {figures['rss_input_mb']:.0f} MB is the interpreter and the raw blocks)"
    )


def full_size_day_mean(day) -> float:
    from chainprice.simchain import full_size_day
    from chainprice.simchain.pricepath import PricePath

    return PricePath.from_spec(full_size_day()).day_mean(day)


def cold_start(repeat: int) -> None:
    from chainprice.adapters.memory_chain import MemoryChain
    from chainprice.core import latest_day
    from chainprice.simchain import compact_day, generate_chain

    sim = generate_chain(compact_day())
    chain = MemoryChain({int(h): b for h, b in zip(sim.heights, sim.blocks, strict=True)})
    day = latest_day(chain)
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / "chain"
        folder.mkdir()
        for height, raw in zip(sim.heights.tolist(), sim.blocks, strict=True):
            (folder / f"{height}.bin").write_bytes(raw)
        print(f"compact day {day}: {len(sim.blocks)} block files, {sim.total_bytes / 1e6:.1f} MB")
        for label, cache in (("warm numba cache", None), ("empty numba cache", "fresh")):
            seconds = []
            for _ in range(repeat):
                env = dict(os.environ)
                if cache:
                    env["NUMBA_CACHE_DIR"] = tempfile.mkdtemp(dir=tmp)
                t0 = time.perf_counter()
                subprocess.run(
                    [sys.executable, "-c", COLD_SCRIPT, str(folder), day.isoformat()],
                    check=True,
                    capture_output=True,
                    env=env,
                    cwd=ROOT,
                )
                seconds.append(time.perf_counter() - t0)
            print(
                f"cold process, {label:<18} best {min(seconds):.2f} s  "
                f"median {statistics.median(seconds):.2f} s  (import + read + price)"
            )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--worker", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        worker(args.worker, args.repeat)
        return
    full_day(args.repeat)
    cold_start(max(3, args.repeat // 2))


if __name__ == "__main__":
    main()
