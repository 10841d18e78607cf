"""Undoing blocks the node no longer has on its best chain.

The lake's tip is compared with the node's hash at the same height and
walked down until they agree; rows above that height are taken out of the
manifest (objects holding both kept and orphaned blocks are rewritten with
the kept rows only), and prices whose windows touched them are dropped for
recomputation.
"""

from __future__ import annotations

from typing import Protocol

import pyarrow.compute as pc

from adapters.storage import ObjectStore
from lake.manifest import Manifest
from lake.objects import block_objects
from lake.parquet_io import read_tables, write_table
from lake.reader import LakeBlocks
from lake_schema import block_object, compacted_object, get_table
from lake_schema.naming import PER_BLOCK_TABLES


class HashSource(Protocol):
    def block_count(self) -> int: ...
    def block_hash(self, height: int) -> str: ...


def fork_height(lake: LakeBlocks, node: HashSource) -> int | None:
    """The first lake height the node's best chain does not have, or None if none."""
    manifest = lake.manifest
    if manifest.tip_height is None or manifest.first_height is None:
        return None
    height = min(manifest.tip_height, node.block_count())
    while height >= manifest.first_height and lake.block_hash(height) != node.block_hash(height):
        height -= 1
    fork = height + 1
    return fork if fork <= manifest.tip_height else None


def unwind(store: ObjectStore, manifest: Manifest, lake: LakeBlocks, fork: int) -> int:
    """Take heights ``fork`` and above out of the lake; returns how many blocks were undone."""
    depth = manifest.tip_height - fork + 1
    for table in PER_BLOCK_TABLES:
        for obj in block_objects(manifest, table):
            if obj.last_height is None or obj.last_height < fork:
                continue
            manifest.remove(table, {obj.name})
            if obj.first_height is not None and obj.first_height < fork:
                data = read_tables(store, [obj.name], get_table(table).schema)
                data = data.filter(pc.less(data["height"], fork))
                members = [
                    block_object(table, obj.date, h, lake.block_hash(h))
                    for h in sorted(set(data["height"].to_pylist()))
                ]
                name = (
                    members[0] if len(members) == 1 else compacted_object(table, obj.date, members)
                )
                write_table(store, name, data, create_only=True)
                manifest.add(table, name)
    manifest.tip_height = fork - 1 if fork > manifest.first_height else None
    manifest.tip_hash = lake.block_hash(fork - 1) if manifest.tip_height is not None else None
    if manifest.tip_height is None:
        manifest.first_height = None
    manifest.days = {
        day: window
        for day, window in manifest.days.items()
        if max(window["end_height"], window.get("canonical_end_height") or 0) <= fork
    }
    return depth
