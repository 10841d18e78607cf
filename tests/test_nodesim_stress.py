"""Many clients at once against the simulated node while the CPU is busy elsewhere.

The node runs in its own process (as users run it), other processes keep
every core busy, and 96 threads fetch blocks over fresh and kept-alive
connections through the product's HTTP client. No request may wait past its
timeout, and every one must succeed.
"""

from __future__ import annotations

import multiprocessing
import re
import subprocess
import sys
import threading
import time
from pathlib import Path

from chainprice.adapters.node import NodeConfig, RestSource

ROOT = Path(__file__).resolve().parent.parent
CLIENTS = 96
REQUESTS_EACH = 6
TIMEOUT = 15.0


def _burn(stop) -> None:
    while not stop.is_set():
        sum(i * i for i in range(10_000))


def test_no_request_waits_past_its_timeout_under_load() -> None:
    node = subprocess.Popen(
        [sys.executable, "-m", "chainprice.nodesim", "--port", "0", "--rpc-password", "p"],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        text=True,
    )
    stop = multiprocessing.Event()
    burners = [multiprocessing.Process(target=_burn, args=(stop,)) for _ in range(3)]
    try:
        url = re.search(r"url=(\S+)", node.stdout.readline())[1]
        probe = RestSource(url, NodeConfig())
        tip = probe.tip_height()
        hashes = [probe.block_hash(h) for h in range(tip - 24, tip)]
        for burner in burners:
            burner.start()
        waits: list[float] = []
        failures: list[str] = []
        lock = threading.Lock()

        def client(i: int) -> None:
            config = NodeConfig(timeout=TIMEOUT, retries=0, workers=2)
            kept = RestSource(url, config)
            for k in range(REQUESTS_EACH):
                source = RestSource(url, config) if k % 2 else kept  # fresh or kept-alive
                began = time.monotonic()
                try:
                    source.raw_block(hashes[(i + k) % len(hashes)])
                except Exception as exc:
                    with lock:
                        failures.append(f"{type(exc).__name__}: {exc}")
                with lock:
                    waits.append(time.monotonic() - began)

        threads = [threading.Thread(target=client, args=(i,)) for i in range(CLIENTS)]
        began = time.monotonic()
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=300)
        elapsed = time.monotonic() - began
    finally:
        stop.set()
        for burner in burners:
            if burner.is_alive() or burner.exitcode is None:
                burner.join(timeout=30)
        node.terminate()
        node.wait(timeout=30)
    assert not any(thread.is_alive() for thread in threads)
    assert failures == []
    assert len(waits) == CLIENTS * REQUESTS_EACH
    assert max(waits) < TIMEOUT, sorted(waits)[-5:]
    assert elapsed < 120
