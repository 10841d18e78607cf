"""Start ``python -m chainprice.nodesim`` in its own process (its own core) for the benchmarks."""

from __future__ import annotations

import re
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


@contextmanager
def simulated_node(*args: str) -> Iterator[tuple[str, float]]:
    """Yields the node's URL and the seconds it took to generate its chain and start."""
    began = time.perf_counter()
    proc = subprocess.Popen(
        [sys.executable, "-m", "chainprice.nodesim", "--port", "0", *args],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        line = proc.stdout.readline()
        match = re.search(r"url=(\S+)", line)
        if not match:
            raise RuntimeError(f"the simulated node did not start: {line!r}")
        yield match.group(1), time.perf_counter() - began
    finally:
        proc.terminate()
        proc.wait(timeout=30)
