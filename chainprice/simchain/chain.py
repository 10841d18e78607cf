"""``generate_chain``: the whole simulated chain, block after block.

Each block is built in two phases because a transaction can only spend an
output whose txid is final. Phase one builds every kind, including chain
spends of outputs from recent blocks, and hashes them; phase two builds the
chain spends whose parents are phase-one transactions of the same block.
The block's order is then shuffled with each child kept after its parent.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np

from chainprice.core.sha256d import double_sha256, merkle_root
from chainprice.simchain import blocks as bk
from chainprice.simchain.kinds import KINDS, BlockContext, build_kind
from chainprice.simchain.pricepath import PricePath
from chainprice.simchain.spec import ChainSpec, TxMix
from chainprice.simchain.timestamps import arrivals, stamp
from chainprice.simchain.transactions import Parents, TxBatch

POOL_BLOCKS = 6
"""How many recent blocks' outputs chain spends may pick from."""
TX_COUNT_SPREAD = 0.15
VERSION_BASE = 0x20000000
VERSION_ROLLING = 0x1FFFE000
"""BIP320 bits that mining hardware rolls, so versions vary as on mainnet."""


class OutputPool:
    """Unspent outputs of recent blocks' transactions, each spendable once."""

    def __init__(self) -> None:
        self.txids = np.zeros((0, 32), np.uint8)
        self.n_outputs = np.zeros(0, np.int64)
        self.block = np.zeros(0, np.int64)

    def __len__(self) -> int:
        return int(self.block.size)

    def take(self, rng: np.random.Generator, k: int) -> Parents:
        chosen = rng.choice(len(self), size=k, replace=False)
        parents = Parents(self.txids[chosen], rng.integers(0, self.n_outputs[chosen]))
        keep = np.ones(len(self), bool)
        keep[chosen] = False
        self._filter(keep)
        return parents

    def add(self, txids: np.ndarray, n_outputs: np.ndarray, usable: np.ndarray, block: int) -> None:
        self.txids = np.concatenate([self.txids, txids[usable]])
        self.n_outputs = np.concatenate([self.n_outputs, n_outputs[usable]])
        self.block = np.concatenate([self.block, np.full(int(usable.sum()), block)])
        self._filter(self.block > block - POOL_BLOCKS)

    def _filter(self, keep: np.ndarray) -> None:
        self.txids = self.txids[keep]
        self.n_outputs = self.n_outputs[keep]
        self.block = self.block[keep]


def _block_transactions(
    ctx: BlockContext, pool: OutputPool, block: int
) -> tuple[list[TxBatch], np.ndarray]:
    """The block's non-coinbase transactions (two phases) and their order in the block."""
    spec, rng = ctx.spec, ctx.rng
    if rng.random() < spec.empty_block_rate:
        return [], np.zeros(0, np.int64)
    n = round(spec.txs_per_block * rng.uniform(1 - TX_COUNT_SPREAD, 1 + TX_COUNT_SPREAD)) - 1
    return build_transactions(ctx, pool, max(n, 0), block)


def build_transactions(
    ctx: BlockContext, pool: OutputPool, n: int, block: int
) -> tuple[list[TxBatch], np.ndarray]:
    """``n`` transactions of the spec's mix (two phases), and an order keeping children last.

    Chain spends take their parents from ``pool`` (outputs of earlier blocks)
    or, when it runs dry, from this batch's own first phase; the mempool
    generator passes an empty pool, so its chain spends all have unconfirmed
    parents.
    """
    spec, rng = ctx.spec, ctx.rng
    counts = rng.multinomial(n, spec.mix.shares())
    *plain, n_chain = counts
    earlier = min(rng.binomial(n_chain, 1.0 - spec.mix.chain_same_block), len(pool))
    groups = []
    for name, count in zip(TxMix.kinds()[:-1], plain, strict=True):
        groups += build_kind(ctx, KINDS[name], int(count))
    if earlier:
        groups += build_kind(ctx, KINDS["chain"], earlier, pool.take(rng, earlier))
    first = TxBatch.from_groups(groups)

    candidates = np.flatnonzero(first.spendable)
    same = min(n_chain - earlier, candidates.size)
    chosen = rng.choice(candidates, size=same, replace=False)
    parents = Parents(first.txids[chosen], rng.integers(0, first.n_outputs[chosen]))
    second = TxBatch.from_groups(build_kind(ctx, KINDS["chain"], same, parents))

    first_keys = rng.random(len(first))
    # ``build_kind`` lays children out by shape, not in ``chosen``'s order, so a
    # child cannot be matched to its parent's key: all of them go after every
    # first-phase transaction, which keeps each child after its parent.
    child_keys = 1.0 + rng.random(same)
    order = np.argsort(np.concatenate([first_keys, child_keys]), kind="stable")
    usable = np.concatenate([first.spendable, second.spendable])
    usable[chosen] = False
    txids = np.concatenate([first.txids, second.txids])
    pool.add(txids, np.concatenate([first.n_outputs, second.n_outputs]), usable, block)
    return [first, second], order


@dataclass(frozen=True, eq=False)
class SimulatedChain:
    """Raw blocks of one spec, with their heights, times, hashes and planted price."""

    spec: ChainSpec
    blocks: list[bytes]
    """Exactly what ``getblock <hash> 0`` returns, as bytes, in height order."""
    hashes: list[str]
    """Block hashes as RPC displays them (hex of the byte-reversed double SHA-256)."""
    times: np.ndarray
    """Header timestamps (int64); not monotonic, but always above the median time past."""
    price_path: PricePath

    @property
    def start_height(self) -> int:
        return self.spec.start_height

    @property
    def tip(self) -> int:
        return self.spec.start_height + len(self.blocks) - 1

    @property
    def heights(self) -> np.ndarray:
        return np.arange(self.start_height, self.tip + 1, dtype=np.int64)

    @property
    def total_bytes(self) -> int:
        return sum(len(b) for b in self.blocks)

    def block(self, height: int) -> bytes:
        return self.blocks[height - self.start_height]

    def planted_price(self, unix_time: float | np.ndarray) -> float | np.ndarray:
        """The USD price payments were converted at (before each payer's jitter)."""
        return self.price_path(unix_time)

    def planted_mean(self, day: dt.date | None = None) -> float:
        """Mean planted price over a UTC day (the first simulated day by default)."""
        return self.price_path.day_mean(day or self.spec.start_date)

    def heights_in_day(self, day: dt.date) -> np.ndarray:
        """Heights stamped within ``day`` (UTC); not the reference's window, which walks."""
        midnight = int(dt.datetime.combine(day, dt.time(), tzinfo=dt.UTC).timestamp())
        inside = (self.times >= midnight) & (self.times < midnight + 86400)
        return self.heights[inside]


def generate_chain(spec: ChainSpec) -> SimulatedChain:
    """Build every block of ``spec``; the same spec always gives the same bytes."""
    rng = np.random.default_rng(spec.seed)
    path = PricePath.from_spec(spec)
    times = stamp(
        rng, arrivals(rng, spec.span_start, spec.span_end, spec.block_interval), spec.nonmono_rate
    )
    prev = rng.bytes(32)
    pool = OutputPool()
    raw_blocks: list[bytes] = []
    hashes: list[str] = []
    for i, t in enumerate(times.tolist()):
        height = spec.start_height + i
        ctx = BlockContext(rng, spec, height, float(path(t)))
        batches, order = _block_transactions(ctx, pool, i)
        txids = np.concatenate([b.txids for b in batches] or [np.zeros((0, 32), np.uint8)])
        wtxids = np.concatenate([b.wtxids for b in batches] or [np.zeros((0, 32), np.uint8)])
        fees = int(rng.integers(2_000_000, 60_000_000)) if order.size else 0
        cb_raw, cb_txid = bk.coinbase(
            height,
            bk.subsidy(height) + fees,
            bk.witness_commitment(wtxids[order]),
            extranonce=rng.bytes(8),
            payout=rng.bytes(20),
        )
        all_txids = np.concatenate([np.frombuffer(cb_txid, np.uint8)[None, :], txids[order]])
        version = VERSION_BASE | (int(rng.integers(0, 1 << 32)) & VERSION_ROLLING)
        nonce = int(rng.integers(0, 1 << 32))
        raw_header = bk.header(version, prev, merkle_root(all_txids), t, nonce)
        raw_blocks.append(bk.block_bytes(raw_header, cb_raw, batches, order))
        prev = double_sha256(raw_header)
        hashes.append(prev[::-1].hex())
    return SimulatedChain(spec=spec, blocks=raw_blocks, hashes=hashes, times=times, price_path=path)
