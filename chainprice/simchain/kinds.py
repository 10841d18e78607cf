"""The transaction kinds of the mix: their shapes and their output values.

Each kind draws the shape parameters of its ``k`` transactions as integer
codes, and transactions with equal codes form one group (one template, one
matrix). Output values are drawn for the whole kind at once, flat in
transaction order, and then split among the groups, so the per-group Python
work stays a handful of numpy calls whatever the group's size.

The kinds, and which filter of the reference each one exercises:

- ``payment``: 1-in / 2-out P2WPKH (some P2SH-wrapped): the kept bulk.
- ``legacy``: P2PKH 1-2 in / 2 out, legacy serialization: kept.
- ``multi_input``: 2-5 inputs / 2 outputs: kept.
- ``consolidation``: more than 5 inputs, one output: dropped.
- ``batch``: many outputs, some more than 252 (CompactSize ``fd``): dropped.
- ``one_output``: dropped (outputs != 2).
- ``op_return``: an OP_RETURN output plus 1-2 others: dropped.
- ``inscription``: script-path spends; witness items over 500 bytes and
  per-input witness totals of exactly 501 bytes are dropped, totals of exactly
  500 bytes (or 300 on each of two inputs) are kept.
- ``chain``: 1-2 inputs / 2 outputs whose first input spends an output
  created earlier in the window: dropped as a same-window spend.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from chainprice.simchain import scripts as sc
from chainprice.simchain.amounts import lognormal_sats, payment_pairs
from chainprice.simchain.layout import Template, TxShape, template
from chainprice.simchain.spec import ChainSpec
from chainprice.simchain.transactions import Parents, fill_group

OUTPUT_SCRIPTS = (sc.P2WPKH, sc.P2TR, sc.P2SH, sc.P2PKH, sc.P2WSH)
OP_RETURN_LENGTHS = (20, 32, 40, 80)
CONSOLIDATION_INPUTS = (6, 7, 8, 10, 12, 15, 20, 25, 30, 40, 50, 60, 80, 100, 150)
CONSOLIDATION_WEIGHTS = (14, 12, 10, 9, 8, 8, 7, 6, 5, 4, 3, 2, 1.5, 1, 0.5)
BATCH_OUTPUTS = (3, 4, 5, 6, 8, 10, 12, 15, 20, 25, 30, 40, 50, 75, 100, 253, 254, 260, 300, 400)
BATCH_WEIGHTS = (12, 10, 9, 8, 7, 7, 6, 5, 5, 4, 4, 3, 3, 2, 2, 3, 2, 2, 4, 4)
"""Mostly small batches; about 15% have more than 252 outputs (CompactSize ``fd``)."""
INSCRIPTION_SCRIPTS = tuple(int(n) for n in np.geomspace(520, 8_500, 10).round())
EXACT_500_SCRIPT = 500 - sc.TAPSCRIPT_OVERHEAD
SPLIT_WITNESS_SCRIPT = 300 - sc.TAPSCRIPT_OVERHEAD
POSTAGE_SATS = np.array([330, 546, 10_000], dtype=np.uint64)
ANTI_FEE_SNIPING = 0.6
"""Share of transactions whose locktime is the previous height, as wallets like Core's set it."""


@dataclass(frozen=True)
class BlockContext:
    """What values and locktimes depend on: the block's height and planted price."""

    rng: np.random.Generator
    spec: ChainSpec
    height: int
    price: float


Group = tuple[Template, np.ndarray, bool]
ValuesFn = Callable[[BlockContext, np.ndarray], np.ndarray]
"""Values of every output of a kind's transactions, flat in transaction order."""


@dataclass(frozen=True)
class Kind:
    codes: Callable[[np.random.Generator, int], np.ndarray]
    """``(k, p)`` integer shape parameters of ``k`` transactions."""
    shape: Callable[..., TxShape]
    """Shape of one code row (cached: rows recur)."""
    values: ValuesFn
    spendable: bool = True


def _pick(rng: np.random.Generator, k: int, weights: tuple[float, ...]) -> np.ndarray:
    """``k`` indices drawn with the given relative weights."""
    cum = np.cumsum(weights, dtype=np.float64)
    return np.searchsorted(cum, rng.random(k) * cum[-1], side="right")


def _pair_values(ctx: BlockContext, n_outputs: np.ndarray) -> np.ndarray:
    s = ctx.spec
    return payment_pairs(ctx.rng, n_outputs.size, ctx.price, s.jitter, s.payments).reshape(-1)


def _free_values(median_usd: float, sigma: float) -> ValuesFn:
    def values(ctx: BlockContext, n_outputs: np.ndarray) -> np.ndarray:
        return lognormal_sats(ctx.rng, int(n_outputs.sum()), ctx.price, median_usd, sigma)

    return values


# payment: (wrapped, low_r, payee script)
def _payment_codes(rng: np.random.Generator, k: int) -> np.ndarray:
    return np.column_stack(
        [_pick(rng, k, (0.88, 0.12)), _pick(rng, k, (0.3, 0.7)), _pick(rng, k, (50, 20, 13, 10, 7))]
    )


@lru_cache
def _payment_shape(wrapped: int, low_r: int, payee: int) -> TxShape:
    spend = sc.nested_p2wpkh_input if wrapped else sc.p2wpkh_input
    return TxShape((spend(bool(low_r)),), (OUTPUT_SCRIPTS[payee], sc.P2WPKH))


# legacy: (inputs, low_r, payee script)
def _legacy_codes(rng: np.random.Generator, k: int) -> np.ndarray:
    return np.column_stack(
        [1 + _pick(rng, k, (0.7, 0.3)), _pick(rng, k, (0.5, 0.5)), _pick(rng, k, (0.7, 0.3))]
    )


@lru_cache
def _legacy_shape(n_in: int, low_r: int, payee: int) -> TxShape:
    payee_script = sc.P2PKH if payee == 0 else sc.P2WPKH
    return TxShape((sc.p2pkh_input(bool(low_r)),) * n_in, (payee_script, sc.P2PKH), version=1)


# multi_input and chain: (inputs, low_r, payee script)
def _multi_codes(rng: np.random.Generator, k: int) -> np.ndarray:
    return np.column_stack(
        [2 + _pick(rng, k, (45, 27, 17, 11)), _pick(rng, k, (0.3, 0.7)), _pick(rng, k, (0.7, 0.3))]
    )


def _chain_codes(rng: np.random.Generator, k: int) -> np.ndarray:
    return np.column_stack(
        [1 + _pick(rng, k, (0.8, 0.2)), _pick(rng, k, (0.3, 0.7)), _pick(rng, k, (0.7, 0.3))]
    )


@lru_cache
def _segwit_pair_shape(n_in: int, low_r: int, payee: int) -> TxShape:
    return TxShape((sc.p2wpkh_input(bool(low_r)),) * n_in, (OUTPUT_SCRIPTS[payee], sc.P2WPKH))


# consolidation: (inputs, legacy)
def _consolidation_codes(rng: np.random.Generator, k: int) -> np.ndarray:
    return np.column_stack([_pick(rng, k, CONSOLIDATION_WEIGHTS), _pick(rng, k, (0.85, 0.15))])


@lru_cache
def _consolidation_shape(size: int, legacy: int) -> TxShape:
    spend = sc.p2pkh_input(False) if legacy else sc.p2wpkh_input(True)
    n_in = CONSOLIDATION_INPUTS[size]
    return TxShape((spend,) * n_in, (sc.P2WPKH,), version=1 if legacy else 2)


# batch: (inputs, outputs)
def _batch_codes(rng: np.random.Generator, k: int) -> np.ndarray:
    return np.column_stack([_pick(rng, k, (0.6, 0.3, 0.1)), _pick(rng, k, BATCH_WEIGHTS)])


@lru_cache
def _batch_shape(inputs: int, size: int) -> TxShape:
    return TxShape((sc.p2wpkh_input(True),) * (1 + inputs), (sc.P2WPKH,) * BATCH_OUTPUTS[size])


# one_output: (taproot, payee script)
def _one_output_codes(rng: np.random.Generator, k: int) -> np.ndarray:
    return np.column_stack([_pick(rng, k, (0.6, 0.4)), _pick(rng, k, (5, 4, 2, 1))])


@lru_cache
def _one_output_shape(taproot: int, payee: int) -> TxShape:
    spend = sc.taproot_key_input() if taproot else sc.p2wpkh_input(True)
    return TxShape((spend,), (OUTPUT_SCRIPTS[payee],))


# op_return: (taproot, data length, outputs)
def _op_return_codes(rng: np.random.Generator, k: int) -> np.ndarray:
    return np.column_stack(
        [_pick(rng, k, (0.6, 0.4)), _pick(rng, k, (3, 2, 2, 3)), 2 + _pick(rng, k, (0.75, 0.25))]
    )


@lru_cache
def _op_return_shape(taproot: int, data: int, n_out: int) -> TxShape:
    spend = sc.taproot_key_input() if taproot else sc.p2wpkh_input(True)
    outputs = (sc.op_return(OP_RETURN_LENGTHS[data]), sc.P2WPKH, sc.P2TR)[:n_out]
    return TxShape((spend,), outputs)


def _op_return_values(ctx: BlockContext, n_outputs: np.ndarray) -> np.ndarray:
    out = lognormal_sats(ctx.rng, int(n_outputs.sum()), ctx.price, 150.0, 1.8)
    out[np.cumsum(n_outputs) - n_outputs] = 0
    return out


# inscription: (variant, script size) with variants large / exact 500 / exact 501 / split 300+300
def _inscription_codes(rng: np.random.Generator, k: int) -> np.ndarray:
    return np.column_stack(
        [_pick(rng, k, (0.8, 0.08, 0.08, 0.04)), rng.integers(0, len(INSCRIPTION_SCRIPTS), k)]
    )


@lru_cache
def _inscription_shape(variant: int, size: int) -> TxShape:
    if variant == 0:
        inputs = (sc.tapscript_input(INSCRIPTION_SCRIPTS[size]),)
    elif variant in (1, 2):
        inputs = (sc.tapscript_input(EXACT_500_SCRIPT + variant - 1),)
    else:
        inputs = (sc.tapscript_input(SPLIT_WITNESS_SCRIPT),) * 2
    return TxShape(inputs, (sc.P2TR, sc.P2TR))


def _inscription_values(ctx: BlockContext, n_outputs: np.ndarray) -> np.ndarray:
    out = lognormal_sats(ctx.rng, (n_outputs.size, 2), ctx.price, 60.0, 1.5)
    out[:, 0] = ctx.rng.choice(POSTAGE_SATS, n_outputs.size)
    return out.reshape(-1)


KINDS: dict[str, Kind] = {
    "payment": Kind(_payment_codes, _payment_shape, _pair_values),
    "legacy": Kind(_legacy_codes, _legacy_shape, _pair_values),
    "multi_input": Kind(_multi_codes, _segwit_pair_shape, _pair_values),
    "consolidation": Kind(_consolidation_codes, _consolidation_shape, _free_values(2_500.0, 1.6)),
    "batch": Kind(_batch_codes, _batch_shape, _free_values(300.0, 1.5)),
    "one_output": Kind(_one_output_codes, _one_output_shape, _free_values(400.0, 2.0)),
    "op_return": Kind(_op_return_codes, _op_return_shape, _op_return_values, False),
    "inscription": Kind(_inscription_codes, _inscription_shape, _inscription_values),
    "chain": Kind(_chain_codes, _segwit_pair_shape, _pair_values),
}


def build_kind(
    ctx: BlockContext, kind: Kind, count: int, parents: Parents | None = None
) -> list[Group]:
    """``count`` transactions of ``kind`` as groups; ``parents`` row ``i`` feeds the ``i``-th."""
    if count == 0:
        return []
    rng = ctx.rng
    rows, inverse = np.unique(kind.codes(rng, count), axis=0, return_inverse=True)
    inverse = inverse.reshape(-1)
    templates = [template(kind.shape(*row)) for row in rows.tolist()]
    n_outputs = np.array([tpl.n_outputs for tpl in templates])[inverse]
    values = kind.values(ctx, n_outputs)
    first_output = np.cumsum(n_outputs) - n_outputs
    sniping = rng.random(count) < ANTI_FEE_SNIPING
    locktimes = np.where(sniping, max(ctx.height - 1, 0), 0)
    by_group = np.argsort(inverse, kind="stable")
    bounds = np.cumsum([0, *np.bincount(inverse, minlength=len(templates)).tolist()])
    groups: list[Group] = []
    for g, tpl in enumerate(templates):
        members = by_group[bounds[g] : bounds[g + 1]]
        own_values = values[first_output[members][:, None] + np.arange(tpl.n_outputs)]
        picked = None
        if parents is not None:
            picked = Parents(parents.txids[members], parents.vouts[members])
        matrix = fill_group(rng, tpl, own_values, locktimes[members], picked)
        groups.append((tpl, matrix, kind.spendable))
    return groups
