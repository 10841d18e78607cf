"""The exact on-chain price engine: pure computation from raw blocks to a price.

No I/O happens here: callers pass header access (``HeaderSource``) and a way
to fetch a window's raw blocks; adapters elsewhere provide both.
"""

from core.numba_setup import use_writable_cache

use_writable_cache()  # before any kernel module imports numba

from core.block_parser import (
    ParsedBlock,
    RawBlock,
    WindowColumns,
    combine_blocks,
    parse_block,
    parse_blocks,
)
from core.engine import price_amounts, price_blocks, price_day, price_recent
from core.errors import (
    BlockParseError,
    ChainPriceError,
    PriceError,
    SourceError,
    WindowError,
    WindowNotSettledError,
)
from core.output_filter import Amounts, recorded_amounts
from core.result import METHOD_VERSION, PriceResult
from core.windows import (
    HeaderSource,
    Window,
    block_window,
    canonical_day_window,
    day_window,
    latest_day,
)

__all__ = [
    "METHOD_VERSION",
    "Amounts",
    "BlockParseError",
    "ChainPriceError",
    "HeaderSource",
    "ParsedBlock",
    "PriceError",
    "PriceResult",
    "RawBlock",
    "SourceError",
    "Window",
    "WindowColumns",
    "WindowError",
    "WindowNotSettledError",
    "block_window",
    "canonical_day_window",
    "combine_blocks",
    "day_window",
    "latest_day",
    "parse_block",
    "parse_blocks",
    "price_amounts",
    "price_blocks",
    "price_day",
    "price_recent",
    "recorded_amounts",
]
