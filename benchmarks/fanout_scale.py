"""The backfill fan-out at scale: full-size simulated days written by worker processes at once,
against one sequential ``chainprice backfill`` of the same days.

The simulated node runs in this process (a thread) so its request log can be read; the
sequential backfill and every chunk worker (``tests/fanout_worker.py``, one process per
chunk, at most --workers at a time: a local stand-in for Pub/Sub push) run as processes
on local folder lakes. Prints: whether the two lakes hold the same rows (every table,
timestamps of writing left out), raw block fetches per block for each, and wall times.

    uv run python benchmarks/fanout_scale.py [--days 30] [--workers 8] [--days-per-chunk 3]
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import subprocess
import sys
import tempfile
import time
from collections import Counter
from dataclasses import replace
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))


def raw_block_fetches(node) -> Counter[str]:
    return Counter(
        r.target
        for r in node.request_log
        if r.target.startswith("/rest/block/") and r.target.endswith(".bin")
    )


def dispatch(lake: Path, node, chunks, workers: int) -> None:
    """Every chunk in its own worker process, at most ``workers`` at once."""
    queue, running = list(chunks), []
    while queue or running:
        while queue and len(running) < workers:
            chunk = queue.pop(0)
            argv = [str(lake), node.url, node.esplora_url, json.dumps(chunk.to_json())]
            running.append(
                subprocess.Popen(
                    [sys.executable, "tests/fanout_worker.py", *argv],
                    cwd=ROOT,
                    stdout=subprocess.DEVNULL,
                    stderr=subprocess.PIPE,
                )
            )
        time.sleep(0.1)
        for proc in [p for p in running if p.poll() is not None]:
            running.remove(proc)
            if proc.returncode != 0:
                raise SystemExit(f"a chunk worker failed: {proc.stderr.read().decode()[-2000:]}")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--days", type=int, default=30)
    parser.add_argument("--workers", type=int, default=8)
    parser.add_argument("--days-per-chunk", type=int, default=3)
    args = parser.parse_args()

    from lake_rows import lake_frames

    from chainprice.adapters.node import NodeChain, NodeConfig, open_source
    from chainprice.adapters.storage import open_store
    from chainprice.lake.fanout import plan_chunks
    from chainprice.nodesim import NodeSim, ServedChain
    from chainprice.simchain import full_size_day

    spec = replace(full_size_day(), days=args.days + 2)
    first = spec.start_date + dt.timedelta(days=1)
    last = first + dt.timedelta(days=args.days - 1)
    began = time.perf_counter()
    chain = ServedChain.from_spec(spec)
    print(f"node: {args.days + 2} full-size days generated in {time.perf_counter() - began:.1f} s")
    folder = Path(tempfile.mkdtemp(prefix="fanout-bench-"))
    with NodeSim(chain, rpc_password="p") as node:
        node.clear_log()
        began = time.perf_counter()
        argv = ["backfill", "--lake", str(folder / "sequential"), "--from", first.isoformat()]
        argv += ["--to", last.isoformat(), "--node", node.url, "--source", "rest"]
        subprocess.run(
            [sys.executable, "-m", "chainprice.cli.main", *argv, "--prices-url", node.esplora_url],
            cwd=ROOT,
            check=True,
            capture_output=True,
        )
        sequential_s = time.perf_counter() - began
        sequential_fetches = raw_block_fetches(node)

        chunks = plan_chunks(
            NodeChain(open_source(node.url, "rest", config=NodeConfig())),
            first,
            last,
            args.days_per_chunk,
        )
        blocks = chunks[-1].last_height - chunks[0].first_height + 1
        node.clear_log()
        began = time.perf_counter()
        dispatch(folder / "fanout", node, chunks, args.workers)
        fanout_s = time.perf_counter() - began
        fanout_fetches = raw_block_fetches(node)

    want = lake_frames(open_store(str(folder / "sequential")))
    got = lake_frames(open_store(str(folder / "fanout")))
    equal = all(got[t].equals(frame) for t, frame in want.items())
    print(
        f"days {first}..{last}: {blocks} blocks, {len(chunks)} chunks of {args.days_per_chunk} days"
    )
    counts = ", ".join(f"{t} {len(f):,}" for t, f in want.items())
    print(f"rows equal: {'yes' if equal else 'no'} ({counts})")
    for name, fetches, seconds in (
        ("sequential backfill (1 process)", sequential_fetches, sequential_s),
        (f"fan-out ({args.workers} worker processes)", fanout_fetches, fanout_s),
    ):
        print(
            f"{name}: wall {seconds:.1f} s, raw block fetches per block "
            f"{sum(fetches.values()) / blocks:.3f} (max {max(fetches.values())} for one block, "
            f"{len(fetches)} distinct blocks)"
        )


if __name__ == "__main__":
    main()
