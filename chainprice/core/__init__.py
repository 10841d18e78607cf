"""The exact on-chain price engine: pure computation from raw blocks to a price.

No I/O happens here: callers pass header access (``HeaderSource``) and a way
to fetch a window's raw blocks; adapters elsewhere provide both.

Names are loaded on first use (PEP 562): ``import core.errors`` or
``core.windows`` must not pay for numpy and numba, so ``chainprice --help``
and the error paths stay fast.
"""

from importlib import import_module
from typing import Any

from chainprice.core.numba_setup import use_writable_cache

use_writable_cache()  # before any kernel module imports numba

_HOMES = {
    "chainprice.core.block_parser": (
        "ParsedBlock",
        "RawBlock",
        "WindowColumns",
        "combine_blocks",
        "parse_block",
        "parse_blocks",
    ),
    "chainprice.core.engine": ("price_amounts", "price_blocks", "price_day", "price_recent"),
    "chainprice.core.errors": (
        "BlockParseError",
        "ChainPriceError",
        "PriceError",
        "SourceError",
        "WindowError",
        "WindowNotSettledError",
    ),
    "chainprice.core.output_filter": ("Amounts", "recorded_amounts"),
    "chainprice.core.result": ("METHOD_VERSION", "PriceResult"),
    "chainprice.core.windows": (
        "HeaderSource",
        "Window",
        "block_window",
        "canonical_day_window",
        "day_window",
        "latest_day",
    ),
}
_MODULE_OF = {name: module for module, names in _HOMES.items() for name in names}

__all__ = sorted(_MODULE_OF)


def __getattr__(name: str) -> Any:
    module = _MODULE_OF.get(name)
    if module is None:
        raise AttributeError(f"module 'core' has no attribute {name!r}")
    value = getattr(import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted([*globals(), *__all__])
