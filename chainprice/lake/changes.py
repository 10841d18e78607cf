"""The changes writers commit, each written to merge into whatever manifest is current.

A writer plans from the manifest it read, but commits onto the one that is
current when its compare-and-swap lands, which may hold other writers' work.
So each change says what it means ("these blocks follow block N", "this
day's price unless one is settled"), and applies only where that still
makes sense: the same blocks added twice are added once, a settled day is
never replaced, and a chain that moved under the writer is a
``CommitConflict`` rather than a silent mix of two chains.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

from chainprice.lake.manifest import CommitConflict, Manifest, Op
from chainprice.lake.segments import Segment, joined, segments, set_segments, split
from chainprice.lake_schema import parse_object
from chainprice.lake_schema.naming import PER_BLOCK_TABLES


def block_names(manifest: Manifest) -> dict[tuple[str, int], str]:
    """(table, height) -> the live object holding that height."""
    found: dict[tuple[str, int], str] = {}
    for table in PER_BLOCK_TABLES:
        for name in manifest.names(table):
            obj = parse_object(name)
            if obj.first_height is None or obj.last_height is None:
                continue
            for height in range(obj.first_height, obj.last_height + 1):
                found[(table, height)] = name
    return found


def create(network: Mapping[str, Any]) -> Op:
    """A new lake's first commit, before any object is written: what chain it follows."""

    def apply(m: Manifest) -> None:
        if not m.created_at:
            m.created_at = dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
            m.network = {**network, **m.network}

    return apply


def add_blocks(
    first: int,
    prev_hash: str,
    last_hash: str,
    objects: Mapping[str, list[Any]],
    network: Mapping[str, Any],
    *,
    anywhere: bool = False,
) -> Op:
    """Blocks ``first..`` (their staged objects) following the lake's block ``first - 1``.

    Ingest appends to the top run (``anywhere`` False: anything else is a
    conflict); a backfill worker's chunk may land anywhere, as an island
    that joins its neighbours once they meet (``lake.segments``).
    """
    by_height: dict[int, dict[str, str]] = {}
    for name in objects:
        obj = parse_object(name)
        by_height.setdefault(obj.first_height, {})[obj.table] = name
    last = max(by_height)

    def apply(m: Manifest) -> None:
        runs = segments(m)
        if not runs:
            m.network = {**network, **m.network}
        elif not anywhere and (m.tip_height < first - 1 or m.first_height > first):
            raise CommitConflict(
                f"the lake at its commit holds blocks {m.first_height}..{m.tip_height}, "
                f"which blocks {first}..{last} do not continue"
            )
        held = [(a, b) for a, b, inside in split(m, first, last) if inside]
        live = block_names(m) if held else {}
        for a, b in held:
            for height in range(a, b + 1):
                for table, name in by_height[height].items():
                    found = parse_object(live.get((table, height), name))
                    if found.staged and found.hash_prefix != parse_object(name).hash_prefix:
                        raise CommitConflict(
                            f"another writer stored another block at height {height} "
                            "(the node's chain changed during this run); run again"
                        )
        merged = joined(runs, Segment(first, last, prev_hash, last_hash))
        if merged == runs:
            return
        for a, b, inside in split(m, first, last):
            for height in range(a, b + 1) if not inside else ():
                for name in by_height[height].values():
                    m.add(name, objects[name])
        set_segments(m, merged)

    return apply


def unwind(fork: int, expected_tip_hash: str, fork_prev_hash: str | None) -> Op:
    """Blocks ``fork`` and up leave the lake (a reorg), with the day prices that used them."""

    def apply(m: Manifest) -> None:
        if m.tip_hash != expected_tip_hash:
            raise CommitConflict("another writer changed the lake's tip during this run; run again")
        gone = {n for (_, h), n in block_names(m).items() if h >= fork}
        published = sorted(n for n in gone if not parse_object(n).staged)
        if published:
            raise CommitConflict(f"a reorg at height {fork} reaches published day {published[0]}")
        for day, entry in list(m.days.items()):
            if max(entry["end_height"], entry.get("canonical_end_height") or 0) > fork:
                gone |= set(entry.get("objects", ()))
                del m.days[day]
        m.retire(gone)
        below = segments(m)[:-1]
        if fork > m.first_height:
            below.append(Segment(m.first_height, fork - 1, m.first_prev_hash, fork_prev_hash))
        set_segments(m, below)
        if m.latest.get("day", {}).get("date") not in m.days:
            m.latest.pop("day", None)
            if m.days:
                last = max(m.days)
                m.latest["day"] = {"date": last, **m.days[last]}

    return apply


def set_day(day: str, summary: dict[str, Any], objects: Mapping[str, list[Any]]) -> Op:
    """A day's price and its points; a day already settled (canonical window known) is kept."""

    def apply(m: Manifest) -> None:
        entry = m.days.get(day)
        if entry is not None and not entry["canonical_pending"]:
            return
        if entry is not None:
            m.retire(set(entry.get("objects", ())))
        for name, info in objects.items():
            m.add(name, info)
        m.days[day] = {**summary, "objects": sorted(objects)}
        last = max(m.days)
        m.latest["day"] = {"date": last, **m.days[last]}

    return apply


def set_recent(tip: int, summary: dict[str, Any], name: str, info: list[Any]) -> Op:
    """The latest-144-blocks price at ``tip``; one object per tip, the last commit's."""

    def apply(m: Manifest) -> None:
        same_tip = [
            n
            for n in m.names("prices")
            if parse_object(n).kind == "recent_price" and parse_object(n).first_height == tip
        ]
        m.retire(set(same_tip) - {name})
        m.add(name, info)
        best = m.latest.get("recent")
        if best is None or best["tip_height"] <= tip:
            m.latest["recent"] = summary

    return apply


def add_object(name: str, info: list[Any], key: Mapping[str, Any]) -> Op:
    """An object that is written once per ``key`` (a day's exchange rows): the first one wins."""

    def apply(m: Manifest) -> None:
        table = parse_object(name).table
        for other in m.names(table):
            obj = parse_object(other)
            if all(getattr(obj, k) == v for k, v in key.items()):
                return
        m.add(name, info)

    return apply


def publish(name: str, info: list[Any], members: list[str]) -> Op:
    """``name`` replaces ``members`` (a finished day's staged objects), if they are still live."""

    def apply(m: Manifest) -> None:
        if name in m.objects or not all(n in m.objects for n in members):
            return
        m.retire(set(members))
        m.add(name, info)
        for entry in m.days.values():
            if set(members) & set(entry.get("objects", ())):
                entry["objects"] = sorted((set(entry["objects"]) - set(members)) | {name})

    return apply


def forget(names: set[str]) -> Op:
    """Deleted objects leave the retired list."""

    def apply(m: Manifest) -> None:
        for name in names:
            m.retired.pop(name, None)

    return apply


def swept(at: float) -> Op:
    def apply(m: Manifest) -> None:
        m.swept_at = max(m.swept_at, at)

    return apply
