"""Errors of the object stores: each names the object and the store it concerns."""

from __future__ import annotations

from chainprice.core.errors import SourceError


class StorageError(SourceError):
    """An object store that cannot do what was asked (after retries, where they apply)."""


class ObjectMissingError(StorageError):
    """A read of an object that does not exist (callers may treat it as "not yet written")."""


_PREPOSITIONS = {"write": "to", "read": "from", "delete": "from", "list": "in", "look up": "in"}


def storage_failure(verb: str, name: str, url: str, cause: BaseException) -> StorageError:
    """The error for a failed ``verb`` ("write", "read", ...) of ``name`` in the store ``url``."""
    detail = " ".join(str(cause).split())  # library messages can span lines; ours are one
    return StorageError(f"cannot {verb} {name} {_PREPOSITIONS[verb]} {url}: {detail}")
