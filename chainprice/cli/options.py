"""Argument types shared by several commands, each refusing bad values with a clear message."""

from __future__ import annotations

import argparse
import datetime as dt
from typing import TYPE_CHECKING

from chainprice.core.errors import ChainPriceError

if TYPE_CHECKING:
    from chainprice.adapters.storage import ObjectStore


def date_arg(value: str) -> dt.date:
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a date (YYYY-MM-DD): {value!r}") from None


def store_arg(value: str) -> ObjectStore:
    from chainprice.adapters.storage import open_store  # pyarrow: only for commands given a lake

    try:
        store = open_store(value)
        store.check()  # a missing bucket must fail now, not read as an empty lake later
        return store
    except ChainPriceError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None
