"""Parameters of a simulated chain, and the two presets the project relies on.

Everything the generator draws comes from ``numpy.random.default_rng(seed)``
in a fixed order, so a spec names exactly one chain.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field


@dataclass(frozen=True, kw_only=True)
class TxMix:
    """Share of each transaction kind among a block's non-coinbase transactions.

    The 1-input / 2-output P2WPKH payment gets whatever the other shares leave,
    so a caller can change one share without rebalancing the rest.
    """

    legacy: float = 0.06
    multi_input: float = 0.09
    consolidation: float = 0.025
    batch: float = 0.02
    one_output: float = 0.07
    op_return: float = 0.04
    inscription: float = 0.06
    chain: float = 0.12
    chain_same_block: float = 0.5
    """Fraction of chain spends whose parent is earlier in the same block."""

    @property
    def payment(self) -> float:
        return 1.0 - sum(getattr(self, name) for name in self.kinds() if name != "payment")

    @staticmethod
    def kinds() -> tuple[str, ...]:
        """Kind names in the order the generator draws them.

        Chain spends come last because their parents must be hashed first.
        """
        return (
            "payment",
            "legacy",
            "multi_input",
            "consolidation",
            "batch",
            "one_output",
            "op_return",
            "inscription",
            "chain",
        )

    def shares(self) -> tuple[float, ...]:
        return tuple(getattr(self, name) for name in self.kinds())


@dataclass(frozen=True, kw_only=True)
class PaymentMix:
    """How the payment output of a 2-output transaction is chosen.

    Round USD amounts make the price readable; the other round families
    (EUR, BTC, satoshis) are the noise the method must see through.
    """

    round_usd: float = 0.22
    round_eur: float = 0.04
    round_btc: float = 0.05
    round_sat: float = 0.05
    edge: float = 0.002
    """Payments replaced by edge amounts (999/1000/1001 sats, 1e5 BTC, round-sat ±0.01%)."""
    eur_usd: float = 1.08
    pay_median_usd: float = 120.0
    pay_sigma: float = 1.9
    change_median_usd: float = 250.0
    change_sigma: float = 2.2


@dataclass(frozen=True, kw_only=True)
class ChainSpec:
    """One simulated chain: its calendar span, traffic, planted price and seed."""

    start_date: dt.date
    days: int = 1
    txs_per_block: int
    """Mean transactions per non-empty block, coinbase included (each block varies ±15%)."""
    price_usd: float
    drift: float
    """Relative change of the planted price from the first midnight to the last."""
    seed: int
    start_height: int
    lead_hours: float
    tail_hours: float
    block_interval: float = 600.0
    nonmono_rate: float = 0.02
    empty_block_rate: float = 0.01
    wiggle: float = 0.004
    """Amplitude of the slow sine on top of the drift."""
    wiggle_hours: float = 9.0
    jitter: float = 0.002
    """Per-payment relative noise on the price a payer converts at."""
    mix: TxMix = field(default_factory=TxMix)
    payments: PaymentMix = field(default_factory=PaymentMix)

    def __post_init__(self) -> None:
        if self.days < 1:
            raise ValueError("days must be at least 1")
        if self.txs_per_block < 1:
            raise ValueError("txs_per_block must be at least 1 (the coinbase)")
        if self.price_usd <= 0 or self.drift <= -1.0:
            raise ValueError("the planted price must stay positive")
        if self.lead_hours < 0 or self.tail_hours < 0 or self.block_interval <= 0:
            raise ValueError("lead/tail hours and block interval must be positive")
        if self.start_height < 0:
            raise ValueError("start_height must not be negative")
        rates = (self.nonmono_rate, self.empty_block_rate, self.mix.chain_same_block)
        if not all(0.0 <= rate <= 1.0 for rate in rates):
            raise ValueError("nonmono_rate, empty_block_rate and chain_same_block are shares")
        if any(share < 0 for share in self.mix.shares()):
            raise ValueError("transaction mix shares must be non-negative and sum to at most 1")
        pay = self.payments
        families = (pay.round_usd, pay.round_eur, pay.round_btc, pay.round_sat, pay.edge)
        if any(share < 0 for share in families) or sum(families) > 1.0:
            raise ValueError("payment shares must be non-negative and sum to at most 1")

    @property
    def first_midnight(self) -> int:
        """Unix time of 00:00 UTC on ``start_date``."""
        start = dt.datetime.combine(self.start_date, dt.time(), tzinfo=dt.UTC)
        return int(start.timestamp())

    @property
    def span_start(self) -> float:
        return self.first_midnight - self.lead_hours * 3600.0

    @property
    def span_end(self) -> float:
        return self.first_midnight + self.days * 86400.0 + self.tail_hours * 3600.0


def compact_day(seed: int = 6) -> ChainSpec:
    """One UTC day at ~250 transactions a block, the scale of the golden chains.

    With the default seed: 208 blocks, 144 of them stamped on 2024-06-01, ~26 MB.
    Other seeds give other block counts (a day holds roughly 120 to 175 blocks).
    """
    return ChainSpec(
        start_date=dt.date(2024, 6, 1),
        txs_per_block=250,
        price_usd=67_500.0,
        drift=0.012,
        seed=seed,
        start_height=845_390,
        lead_hours=6.0,
        tail_hours=4.0,
    )


def full_size_day(seed: int = 2) -> ChainSpec:
    """A mainnet-sized day: 3,000 transactions a block, ~510 bytes a transaction.

    With the default seed: 166 blocks (~249 MB), 144 of them stamped on
    2025-01-15 (~220 MB). The lead and tail are as short as the window rules
    allow: the reference's first estimate must land inside the chain, block
    ``tip - 6`` must be stamped on the next day, and the canonical window's
    end needs 11 blocks stamped after the next midnight. The seed was chosen
    so that all three hold with a margin; another seed may not.
    """
    return ChainSpec(
        start_date=dt.date(2025, 1, 15),
        txs_per_block=3_000,
        price_usd=97_000.0,
        drift=-0.015,
        seed=seed,
        start_height=878_540,
        lead_hours=1.0,
        tail_hours=2.5,
    )
