"""The errors the engine raises: each names what was wrong and where.

Every failure of the computation is a ``ChainPriceError``; callers that only
want to report can catch that one type.
"""

from __future__ import annotations


class ChainPriceError(Exception):
    """Base of every error the engine raises on bad input."""


class BlockParseError(ChainPriceError):
    """Raw block bytes that are malformed, truncated or inconsistent.

    ``height`` is the block's height (``None`` if the caller gave none) and
    ``offset`` the byte offset inside that block where the problem was found.
    """

    def __init__(self, height: int | None, offset: int, reason: str) -> None:
        self.height = height
        self.offset = offset
        self.reason = reason
        where = "block" if height is None else f"block {height}"
        super().__init__(f"{where}, byte offset {offset}: {reason}")


class WindowError(ChainPriceError):
    """A block window that cannot be formed: date out of range, walk off the chain."""


class WindowNotSettledError(WindowError):
    """A canonical day boundary that later blocks could still move (too close to the tip)."""


class PriceError(ChainPriceError):
    """A window whose amounts cannot give a price (too few, or a degenerate fit)."""


class SourceError(ChainPriceError):
    """A header or block source that cannot give what was asked (missing height, bad folder)."""


class UsageError(ChainPriceError):
    """A call that cannot work as given: two sources at once, a block count out of range."""
