"""chainprice: an exchange-free BTC/USD price read from the Bitcoin chain itself.

The public Python API is the names in ``__all__`` below, and only those:
everything under ``chainprice.*`` submodules is internal and may change.

- ``price_day`` / ``price_recent``: a day, or the latest N blocks, from a
  ``Node`` (or its URL), a folder of raw blocks, or a lake;
- ``price_outputs`` / ``price_transactions``: outputs or raw unconfirmed
  transactions another program already holds;
- ``open_lake``: a ``Lake`` whose tables read as pyarrow or polars frames;
- ``Price``: every result, with the fields of ``chainprice price --json``;
- ``ChainPriceError``: the base of every error raised on bad input, with the
  one-line message the CLI prints.

Names load on first use (PEP 562), so ``import chainprice`` (and every
``chainprice`` command) pays for no numpy, numba, pyarrow or polars until
something is priced or read.
"""

from importlib import import_module as _import_module
from typing import TYPE_CHECKING as _TYPE_CHECKING
from typing import Any as _Any

if _TYPE_CHECKING:
    from chainprice.api.lake import Lake, open_lake
    from chainprice.api.node import Node
    from chainprice.api.pricing import price_day, price_outputs, price_recent, price_transactions
    from chainprice.api.result import Price
    from chainprice.core.errors import ChainPriceError

_MODULE_OF = {
    "ChainPriceError": "chainprice.core.errors",
    "Lake": "chainprice.api.lake",
    "Node": "chainprice.api.node",
    "Price": "chainprice.api.result",
    "open_lake": "chainprice.api.lake",
    "price_day": "chainprice.api.pricing",
    "price_outputs": "chainprice.api.pricing",
    "price_recent": "chainprice.api.pricing",
    "price_transactions": "chainprice.api.pricing",
}

__all__ = [
    "ChainPriceError",
    "Lake",
    "Node",
    "Price",
    "open_lake",
    "price_day",
    "price_outputs",
    "price_recent",
    "price_transactions",
]


def __getattr__(name: str) -> _Any:
    module = _MODULE_OF.get(name)
    if module is None:
        raise AttributeError(f"module 'chainprice' has no attribute {name!r}")
    value = getattr(_import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    """The public names (and the module's own dunders), not the internals."""
    return sorted([*__all__, *(n for n in globals() if n.startswith("__"))])
