"""Errors of the lake's contract: rows or object names that do not fit a table."""

from __future__ import annotations

from chainprice.core.errors import ChainPriceError


class LakeSchemaError(ChainPriceError):
    """Rows or a table that do not match a lake table's schema (the message names the column)."""


class LakeNameError(LakeSchemaError):
    """An object name that the lake's naming rules cannot build or read back."""
