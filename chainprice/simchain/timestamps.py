"""Header timestamps: Poisson arrivals, a wandering rate, and mainnet's disorder.

On mainnet about 2% of blocks are stamped before their parent, because
miners' clocks disagree; consensus only asks that a block's time exceed the
median of the previous 11 (median time past, MTP). The day-window search of
the reference trips over exactly this, so the simulated chain must have it.
"""

from __future__ import annotations

import numpy as np

MTP_SPAN = 11
RATE_WOBBLE = 0.08
"""Relative swing of the block rate (hashrate and luck over the day)."""
WOBBLE_BLOCKS = 90
MAX_BACKSTAMP = 900
"""A block stamped before its parent is at most this many seconds earlier."""


def median_time_past(times: list[int]) -> int:
    """Bitcoin's MTP: the middle of the last up-to-11 times, sorted (upper middle if even)."""
    recent = sorted(times[-MTP_SPAN:])
    return recent[len(recent) // 2]


def arrivals(rng: np.random.Generator, start: float, end: float, interval: float) -> np.ndarray:
    """Arrival times in ``(start, end)``: exponential gaps whose mean drifts by ±8%."""
    expected = (end - start) / interval
    n = int(expected * 1.5 + 10 * np.sqrt(expected) + 20)
    phase = rng.uniform(0.0, 2.0 * np.pi)
    wobble = 1.0 + RATE_WOBBLE * np.sin(2.0 * np.pi * np.arange(n) / WOBBLE_BLOCKS + phase)
    times = start + np.cumsum(rng.exponential(interval, n) * wobble)
    if times[-1] < end:
        raise RuntimeError("drew too few block intervals; the span is implausibly long")
    return times[times < end]


def stamp(rng: np.random.Generator, arrived: np.ndarray, nonmono_rate: float) -> np.ndarray:
    """Header times: the arrival second, except some blocks stamped before their parent.

    Any stamp is raised to MTP + 1 when needed, so every block is valid.
    """
    n = arrived.size
    back = rng.random(n) < nonmono_rate
    lag = rng.integers(1, MAX_BACKSTAMP + 1, n)
    floor = np.floor(arrived).astype(np.int64).tolist()
    out: list[int] = []
    for i in range(n):
        t = floor[i]
        if out and back[i]:
            t = out[-1] - int(lag[i])
        if out:
            t = max(t, median_time_past(out) + 1)
        out.append(t)
    return np.asarray(out, dtype=np.int64)
