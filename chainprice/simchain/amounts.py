"""Output amounts in satoshis: payments, change and the filler of other kinds.

Only the payment output carries the price signal (round USD amounts converted
at the planted price). Every other family is there because real traffic has
it and the method has to see through it: round EUR, round BTC and round
satoshi amounts, free-form payments, and a few amounts sitting exactly on
the edges of the reference's filters.
"""

from __future__ import annotations

import numpy as np

from chainprice.simchain.spec import PaymentMix

COIN = 100_000_000
MIN_SATS = 330
"""Smallest output drawn from a continuous law (the P2TR dust limit)."""
MAX_SATS = 5_000 * COIN
"""Largest one, far below the ~98,855 BTC where the reference would crash."""

USD_AMOUNTS = np.array(
    [5, 10, 15, 20, 25, 30, 40, 50, 75, 100, 150, 200, 250, 300, 500, 1000, 2000, 5000, 10000],
    dtype=np.float64,
)
USD_WEIGHTS = np.array(
    [6, 10, 3, 9, 5, 4, 3, 10, 2, 12, 3, 6, 3, 3, 5, 4, 2, 1, 0.5], dtype=np.float64
)
EUR_AMOUNTS = np.array([10, 20, 50, 100, 200, 500], dtype=np.float64)
EUR_WEIGHTS = np.array([4, 5, 5, 5, 2, 2], dtype=np.float64)
BTC_SATS = np.array(
    [100_000, 200_000, 500_000, 1_000_000, 2_000_000, 5_000_000, 10_000_000, 50_000_000, COIN],
    dtype=np.float64,
)
BTC_WEIGHTS = np.array([8, 4, 5, 8, 3, 4, 5, 2, 2], dtype=np.float64)
SAT_AMOUNTS = np.array(
    [10_000, 20_000, 25_000, 30_000, 50_000, 75_000, 150_000, 250_000, 300_000, 750_000],
    dtype=np.float64,
)
SAT_WEIGHTS = np.array([6, 5, 4, 2, 6, 2, 2, 3, 2, 1], dtype=np.float64)


def _edge_amounts() -> np.ndarray:
    """Amounts on the reference's boundaries.

    999/1000/1001 sats straddle the 1e-5 BTC floor (1000 itself is excluded),
    1e5 BTC is the excluded ceiling, and round-sat values ±0.01% sit on the
    edge of the price-point step's round-amount exclusion.
    """
    round_sats = np.array([10_000, 50_000, 100_000, 1_000_000, 10_000_000], dtype=np.float64)
    offsets = round_sats / 10_000
    return np.concatenate(
        [[999, 1000, 1001, 100_000 * COIN], round_sats - offsets, round_sats + offsets]
    )


EDGE_SATS = _edge_amounts()

PAY_USD, PAY_EUR, PAY_BTC, PAY_SAT, PAY_EDGE, PAY_FREE = range(6)


def usd_to_sats(usd: np.ndarray, price: np.ndarray | float) -> np.ndarray:
    """``round(usd / price * 1e8)`` as float64 (exact for any amount below 2**53 sats)."""
    return np.rint(usd / price * 1e8)


def lognormal_sats(
    rng: np.random.Generator,
    size: int | tuple[int, ...],
    price: float,
    median_usd: float,
    sigma: float,
) -> np.ndarray:
    """Free-form amounts whose USD value is log-normal, clipped to a sane range."""
    usd = rng.lognormal(np.log(median_usd), sigma, size)
    return np.clip(usd_to_sats(usd, price), MIN_SATS, MAX_SATS).astype(np.uint64)


def payment_families(rng: np.random.Generator, count: int, mix: PaymentMix) -> np.ndarray:
    """Family code (``PAY_*``) of each payment."""
    bounds = np.cumsum([mix.round_usd, mix.round_eur, mix.round_btc, mix.round_sat, mix.edge])
    return np.searchsorted(bounds, rng.random(count), side="right")


def payment_pairs(
    rng: np.random.Generator, count: int, price: float, jitter: float, mix: PaymentMix
) -> np.ndarray:
    """``(count, 2)`` uint64 values: one payment and one change output, in random order.

    Each payer converts at the planted price times its own small noise, as
    real payers quote slightly different rates.
    """
    rate = price * (1.0 + jitter * rng.standard_normal(count))
    family = payment_families(rng, count, mix)
    usd = rng.choice(USD_AMOUNTS, count, p=USD_WEIGHTS / USD_WEIGHTS.sum())
    eur = rng.choice(EUR_AMOUNTS, count, p=EUR_WEIGHTS / EUR_WEIGHTS.sum()) * mix.eur_usd
    free = rng.lognormal(np.log(mix.pay_median_usd), mix.pay_sigma, count)
    fiat = np.select([family == PAY_USD, family == PAY_EUR], [usd, eur], free)
    pay = np.clip(usd_to_sats(fiat, rate), MIN_SATS, MAX_SATS)
    btc = rng.choice(BTC_SATS, count, p=BTC_WEIGHTS / BTC_WEIGHTS.sum())
    sat = rng.choice(SAT_AMOUNTS, count, p=SAT_WEIGHTS / SAT_WEIGHTS.sum())
    edge = rng.choice(EDGE_SATS, count)
    pay = np.select(
        [family == PAY_BTC, family == PAY_SAT, family == PAY_EDGE], [btc, sat, edge], pay
    )
    change_usd = rng.lognormal(np.log(mix.change_median_usd), mix.change_sigma, count)
    change = np.clip(usd_to_sats(change_usd, rate), MIN_SATS, MAX_SATS)
    swap = rng.random(count) < 0.5
    out = np.empty((count, 2), dtype=np.uint64)
    out[:, 0] = np.where(swap, change, pay)
    out[:, 1] = np.where(swap, pay, change)
    return out
