"""Which live objects hold which heights, read from the manifest's names alone."""

from __future__ import annotations

from chainprice.lake.manifest import Manifest
from chainprice.lake_schema import LakeObject, parse_object


def block_objects(manifest: Manifest, table: str) -> list[LakeObject]:
    """Per-block and compacted objects of ``table``, by first height."""
    objects = [parse_object(n) for n in manifest.names(table)]
    return sorted(objects, key=lambda o: (o.first_height or 0, o.name))


def overlapping(objects: list[LakeObject], first: int, last: int) -> list[LakeObject]:
    """Objects holding any height of ``[first, last]``, in height order."""
    return [
        o
        for o in objects
        if o.first_height is not None
        and o.last_height is not None
        and o.first_height <= last
        and o.last_height >= first
    ]
