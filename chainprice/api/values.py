"""The API's argument checks: a wrong value ends in a ``UsageError`` naming it, as a bad CLI
option ends in one line, never in a stray ``TypeError`` from deep inside."""

from __future__ import annotations

import datetime as dt
import operator

from chainprice.core.errors import UsageError


def as_date(value: dt.date | str | None, name: str = "day") -> dt.date | None:
    """A date, or ISO text for one (``None`` stays ``None``)."""
    if value is None or (isinstance(value, dt.date) and not isinstance(value, dt.datetime)):
        return value
    try:
        return dt.date.fromisoformat(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        raise UsageError(f"{name}: not a date (YYYY-MM-DD): {value!r}") from None


def as_whole(value: object, name: str) -> int | None:
    """A whole number such as a block height (``None`` stays ``None``)."""
    if value is None:
        return None
    try:
        return operator.index(value)  # type: ignore[arg-type]
    except TypeError:
        raise UsageError(f"{name}: not a whole number: {value!r}") from None
