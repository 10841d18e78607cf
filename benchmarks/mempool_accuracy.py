"""Error of the mempool estimate against the planted price, by candidates and by spread.

Each trial draws a fresh simulated mempool (the chain's transaction mix, the
payments converted at a random planted price between 20,000 and 150,000 USD)
of a chosen size, prices it with ``core.mempool.mempool_price`` and records
the number of candidates (window transactions passing every filter), the
spread figure ``dev_pct`` and the relative error. Three payment mixes (22 %,
12 % and 6 % of payments in round USD) give weaker and weaker signals, so
the spread varies too.

It prints (1) the curve on the simulated node's own mix: per candidate
bucket, trials, median and 95th-percentile error, the share of trials within
1 % and 2 %, and the candidate count from which every bucket is within 1 %
(95th percentile), with 2 % at a quarter of it; (2) over all three mixes, the share of
trials within 1 % by candidates and spread: the table
``core.mempool_confidence.WITHIN_1PCT`` is that output.

    uv run --no-sync python -m benchmarks.mempool_accuracy [--trials 30]
"""

from __future__ import annotations

import argparse
import itertools
from dataclasses import replace

import numpy as np

from chainprice import core  # noqa: F401 (numba cache set-up before the kernels load)
from chainprice.core.errors import PriceError
from chainprice.core.mempool import ConfirmedTxids, mempool_price
from chainprice.core.mempool_confidence import DEV_EDGES, N_EDGES, WITHIN_1PCT
from chainprice.core.mempool_txs import parse_transactions
from chainprice.simchain import compact_day
from chainprice.simchain.chain import OutputPool, build_transactions
from chainprice.simchain.kinds import BlockContext
from chainprice.simchain.spec import PaymentMix
from chainprice.simchain.transactions import ordered_transactions

CURVE_SIZES = (150, 225, 300, 375, 450, 600, 900, 1200, 1800, 2400, 3600)
"""Mempool sizes for the curve (about two thirds of the transactions are candidates)."""
CURVE_BUCKETS = (0, 100, 150, 200, 250, 300, 400, 600, 800, 1200, 1600, 2400, 1_000_000)
TABLE_SIZES = (150, 300, 600, 1200, 2400, 4800)
ROUND_SHARES = (0.22, 0.12, 0.06)
"""Round-USD share of payments: the simulated node's own mix first, then weaker signals."""
NO_CONFIRMED = ConfirmedTxids(np.empty((0, 32), np.uint8), np.empty(0, np.int64))


def trial(rng: np.random.Generator, size: int, round_usd: float) -> tuple[int, float, float]:
    """``(candidates, dev_pct, relative error)`` of one fresh mempool (error 1 if unpriced)."""
    spec = replace(compact_day(), payments=PaymentMix(round_usd=round_usd))
    price = float(rng.uniform(20_000, 150_000))
    ctx = BlockContext(rng, spec, spec.start_height, price)
    batches, order = build_transactions(ctx, OutputPool(), size, 0)
    raws = [bytes(tx) for tx in ordered_transactions(batches, order)]
    times = np.sort(rng.integers(0, 3 * 3600, len(raws)))
    txs = parse_transactions(raws, times)
    try:
        result = mempool_price(txs, txs.txid, NO_CONFIRMED, spec.start_height)
    except PriceError:
        return 0, 1.0, 1.0
    return result.counts.passing, result.dev_pct, abs(result.price / price - 1)


def measure(
    rng: np.random.Generator, sizes: tuple[int, ...], shares: tuple[float, ...], trials: int
) -> np.ndarray:
    return np.array(
        [trial(rng, size, share) for share in shares for size in sizes for _ in range(trials)]
    )


def p95_in(rows: np.ndarray, lo: float, hi: float) -> float:
    m = (rows[:, 0] >= lo) & (rows[:, 0] < hi)
    return float(np.percentile(rows[m, 2], 95)) if m.sum() >= 10 else float("inf")


def curve(rows: np.ndarray) -> None:
    n, err = rows[:, 0], rows[:, 2]
    print("candidates      trials  median err  p95 err  within 1%  within 2%")
    for lo, hi in itertools.pairwise(CURVE_BUCKETS):
        m = (n >= lo) & (n < hi)
        if m.any():
            print(
                f"{lo:>6}-{hi if hi < 1_000_000 else '':<7} {int(m.sum()):>6} "
                f"{100 * np.median(err[m]):>9.2f}% {100 * np.percentile(err[m], 95):>7.2f}% "
                f"{100 * np.mean(err[m] <= 0.01):>9.0f}% {100 * np.mean(err[m] <= 0.02):>9.0f}%"
            )
    buckets = list(itertools.pairwise(CURVE_BUCKETS))
    for k, (lo, _) in enumerate(buckets):
        quarter = [(a, b) for a, b in buckets if a <= lo / 4 < b]
        within = all(p95_in(rows, *b) <= 0.01 for b in buckets[k:])
        if within and quarter and p95_in(rows, *quarter[0]) <= 0.02:
            print(
                f"1 % (p95) in every bucket from {lo} candidates on; at a quarter of it "
                f"({quarter[0][0]}-{quarter[0][1]}) p95 {100 * p95_in(rows, *quarter[0]):.2f} %"
            )
            return
    print("no bucket reaches 1 % with 2 % at a quarter of it")


def table(rows: np.ndarray) -> np.ndarray:
    """Share within 1 % per (candidates, dev_pct) cell; NaN where fewer than 5 trials."""
    out = np.full((len(N_EDGES) - 1, len(DEV_EDGES) - 1), np.nan)
    for i, (n_lo, n_hi) in enumerate(itertools.pairwise(N_EDGES)):
        for j, (d_lo, d_hi) in enumerate(itertools.pairwise(DEV_EDGES)):
            m = (rows[:, 0] >= n_lo) & (rows[:, 0] < n_hi)
            m &= (rows[:, 1] >= d_lo) & (rows[:, 1] < d_hi)
            if m.sum() >= 5:
                out[i, j] = np.mean(rows[m, 2] <= 0.01)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--trials", type=int, default=40, help="trials per size (and mix)")
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    rng = np.random.default_rng(args.seed)
    print("(1) the simulated node's payment mix (22 % round USD)")
    curve(measure(rng, CURVE_SIZES, ROUND_SHARES[:1], args.trials))
    print("\n(2) share within 1 % by candidates (rows) and dev_pct (columns), all three mixes")
    measured = table(measure(rng, TABLE_SIZES, ROUND_SHARES, args.trials))
    print("dev_pct edges:", DEV_EDGES)
    for (lo, hi), row, kept in zip(itertools.pairwise(N_EDGES), measured, WITHIN_1PCT, strict=True):
        cells = " ".join("   -" if np.isnan(v) else f"{v:4.2f}" for v in row)
        print(f"{lo:>6}-{hi:<7} {cells}   (core: {' '.join(f'{v:4.2f}' for v in kept)})")
    print("WITHIN_1PCT =", np.round(np.nan_to_num(measured, nan=0.0), 2).tolist())


if __name__ == "__main__":
    main()
