"""``lake repair``: a manifest rebuilt from the objects present, and ``lake rollback``.

Object names and contents describe themselves: a per-block object names its
height and block hash and holds the block's rows; a price object holds its
row. Repair reads every object, keeps the readable ones, picks the chain the
blocks objects link into (from the highest block down, by previous-block
hash; runs below a gap in the heights are kept, as islands), and lists for
each height one object per table. Heights whose objects
are missing or damaged are read again from the node when one is given, and
only those; without a node the repair refuses and names them. Nothing is
deleted: objects left out go to ``retired`` like any replaced object.
"""

from __future__ import annotations

import datetime as dt
import time
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from chainprice.adapters.storage import ObjectStore
from chainprice.core.errors import SourceError
from chainprice.lake.compaction import validate_month
from chainprice.lake.day_merge import DAILY_ROWS
from chainprice.lake.manifest import (
    HISTORY,
    MANIFEST,
    LakeDamagedError,
    Manifest,
    _parse,
    commit,
    encode,
    history_versions,
    load_manifest,
    load_version,
    object_info,
)
from chainprice.lake.parquet_io import LakeObjectError, decode
from chainprice.lake.segments import Segment, set_segments
from chainprice.lake_schema import parse_object, validate
from chainprice.lake_schema.errors import LakeNameError, LakeSchemaError
from chainprice.lake_schema.naming import PER_BLOCK_TABLES

DAILY = {(rows.table, rows.kind): rows for rows in DAILY_ROWS}


@dataclass
class RepairReport:
    objects: int = 0
    damaged: list[str] = field(default_factory=list)
    reread: list[int] = field(default_factory=list)
    version: int = 0


def _readable(store: ObjectStore, name: str) -> tuple[Any, list[Any]] | None:
    try:
        obj = parse_object(name)
        data = store.get(name)
        table = decode(data, name, store.url)
        rows = validate_month(table) if obj.kind == "month_prices" else validate(obj.table, table)
        return rows, object_info(data)
    except (LakeNameError, LakeObjectError, LakeSchemaError, SourceError):
        return None


def _chain(blocks: dict[int, list[tuple[str, str, str]]]) -> dict[int, str]:
    """height -> hash of the runs linked by previous hash, from the highest block down.

    A height with no block at all ends a run; the blocks below start another
    (an island a backfill worker committed). A block that does not link ends
    the chain.
    """
    best: dict[int, str] = {}
    want: str | None = None
    height = max(blocks, default=-1)
    while blocks:
        if height not in blocks:
            below = [h for h in blocks if h < height]
            if not below:
                break
            height, want = max(below), None
        choices = [c for c in blocks[height] if want is None or c[1] == want]
        if not choices:
            break
        _, block_hash, prev = sorted(choices)[0]
        best[height] = block_hash
        want, height = prev, height - 1
    return best


def _runs(chain: dict[int, str], blocks: dict[int, list[tuple[str, str, str]]]) -> list[Segment]:
    """The chain's runs of consecutive heights, with the hash below each."""
    runs: list[Segment] = []
    for height in sorted(chain):
        if runs and runs[-1].last == height - 1:
            runs[-1] = Segment(runs[-1].first, height, runs[-1].prev_hash, chain[height])
        else:
            prev = next(p for _, h, p in blocks[height] if h == chain[height])
            runs.append(Segment(height, height, prev, chain[height]))
    return runs


def rebuild(store: ObjectStore, node: Any = None) -> RepairReport:
    """Rebuild and commit the manifest from the objects present (re-reading bad blocks)."""
    report = RepairReport()
    good: dict[str, tuple[Any, list[Any]]] = {}
    for info in store.list_details(""):
        if info.name == MANIFEST or info.name.startswith(HISTORY):
            continue
        try:
            parse_object(info.name)
        except LakeNameError:
            continue
        found = _readable(store, info.name)
        if found is None:
            report.damaged.append(info.name)
        else:
            good[info.name] = found
    blocks: dict[int, list[tuple[str, str, str]]] = defaultdict(list)
    for name, (table, _) in good.items():
        if parse_object(name).table == "blocks":
            for row in table.select(["height", "hash", "prev_hash"]).to_pylist():
                blocks[row["height"]].append((name, row["hash"], row["prev_hash"]))
    chain = _chain(blocks)
    runs = _runs(chain, blocks)
    missing = _missing_heights(good, chain)
    if missing:
        if node is None:
            raise LakeDamagedError(
                f"blocks {_ranges(missing)} of the lake at {store.url} have missing or damaged "
                "objects; run `chainprice lake repair` again with the node options (--node ...) "
                "to read just those blocks again"
            )
        good |= _reread(store, node, chain, runs, missing, good)
        report.reread = missing
    manifest = _manifest_of(good, chain, runs)
    manifest.network = _previous_network(store)
    report.version = _commit_rebuilt(store, manifest)
    report.objects = len(manifest.objects)
    return report


def _covering(good: dict, chain: dict[int, str]) -> dict[tuple[str, int], str]:
    """(table, height) -> an object holding that height of the chosen chain."""
    cover: dict[tuple[str, int], str] = {}
    for name in sorted(good, key=lambda n: (parse_object(n).staged, n)):
        obj = parse_object(name)
        if obj.table not in PER_BLOCK_TABLES or obj.first_height is None:
            continue
        heights = range(obj.first_height, (obj.last_height or obj.first_height) + 1)
        if obj.hash_prefix is not None and chain.get(obj.first_height, "")[:16] != obj.hash_prefix:
            continue
        if all(h in chain for h in heights):
            for h in heights:
                cover.setdefault((obj.table, h), name)
    return cover


def _missing_heights(good: dict, chain: dict[int, str]) -> list[int]:
    cover = _covering(good, chain)
    return [h for h in sorted(chain) if any((t, h) not in cover for t in PER_BLOCK_TABLES)]


def _ranges(heights: list[int]) -> str:
    runs, start = [], heights[0]
    for a, b in zip(heights, [*heights[1:], None], strict=True):
        if b != a + 1:
            runs.append(f"{start}..{a}" if a != start else f"{a}")
            start = b
    return ", ".join(runs)


def _reread(
    store: ObjectStore,
    node: Any,
    chain: dict[int, str],
    runs: list[Segment],
    missing: list[int],
    good: dict,
):
    """Read the ``missing`` heights from the node again, as staged objects."""
    from chainprice.core import parse_block
    from chainprice.core.block_outputs import block_rows
    from chainprice.lake.block_writer import write_blocks
    from chainprice.lake.lookback import floor_height, lookback

    partial = _manifest_of(good, chain, runs)
    floor = floor_height(node)
    written: dict[str, tuple[Any, list[Any]]] = {}
    for height in missing:
        (block,) = node.iter_blocks(height, height + 1, parse_block)
        if block.block_hash[::-1].hex() != chain[height]:
            raise SourceError(f"the node's block {height} is not the lake's; repair cannot use it")
        known, times = lookback(store, partial, node, height, floor)
        objects = write_blocks(
            store, [block], block_rows([block], known), times, dt.datetime.now(dt.UTC)
        )
        for name in objects:
            found = _readable(store, name)
            if found is not None:
                written[name] = found
    return written


def _manifest_of(good: dict, chain: dict[int, str], runs: list[Segment]) -> Manifest:
    manifest = Manifest()
    cover = _covering(good, chain)
    for name in set(cover.values()):
        manifest.add(name, good[name][1])
    set_segments(manifest, runs)
    best: dict[tuple, tuple[tuple, str]] = {}
    for name, (table, _) in good.items():
        obj = parse_object(name)
        if obj.table in PER_BLOCK_TABLES or table.num_rows == 0:
            continue
        key = (obj.table, obj.kind, obj.date, obj.month, obj.source, obj.first_height)
        if obj.stamp is not None or (obj.table, obj.kind) in DAILY:
            key += (name,)  # one run's rows each; a day's merge is settled below
        rank = (
            not obj.staged,
            table.num_rows if obj.month else 0,
            str(table.column("computed_at")[0]) if "computed_at" in table.column_names else "",
        )
        if key not in best or rank > best[key][0]:
            best[key] = (rank, name)
    chosen = _without_merged_runs([name for _, name in best.values()], good)
    merged = {parse_object(n).month for n in chosen} - {None}
    for name in chosen:
        obj = parse_object(name)
        if obj.kind != "day_price" or obj.staged or obj.date.strftime("%Y-%m") not in merged:
            manifest.add(name, good[name][1])
    for name in manifest.names("prices"):
        obj = parse_object(name)
        if obj.kind == "day_price":
            dated = [(obj.date, good[name][0].to_pylist()[-1])]
        elif obj.kind == "month_prices":
            dated = [(row["date"], row) for row in good[name][0].to_pylist()]
        else:
            dated = []
        for day, row in dated:
            points = [n for n in manifest.names("intraday") if parse_object(n).date == day]
            manifest.days[day.isoformat()] = {
                "price": row["price"],
                "start_height": row["start_height"],
                "end_height": row["end_height"],
                "tip_height": row["tip_height"],
                "canonical_end_height": row["canonical_end_height"],
                "canonical_pending": row["canonical_pending"],
                "confidence": row["confidence"],
                "is_valid": row["is_valid"],
                "exchange_price": row["exchange_price"],
                "diff_pct": row["diff_pct"],
                "objects": sorted([name, *points]),
            }
    if manifest.days:
        last = max(manifest.days)
        manifest.latest["day"] = {"date": last, **manifest.days[last]}
    return manifest


def _without_merged_runs(names: list[str], good: dict) -> list[str]:
    """``names`` less the per-run objects (run log, mempool series) whose rows a day's merged
    object already holds: a merge's members stay in the store until the grace period ends.
    Largest first, an object is kept only if it adds rows (so a late row merged again wins
    over the earlier merge, and a row that came after the merge is kept)."""
    kept: list[str] = []
    days: dict[tuple, list[str]] = defaultdict(list)
    for name in names:
        obj = parse_object(name)
        if (obj.table, obj.kind) in DAILY:
            days[(obj.table, obj.kind, obj.date)].append(name)
        else:
            kept.append(name)
    for (table, kind, _), members in days.items():
        order = DAILY[(table, kind)].order
        seen: set[tuple] = set()
        for name in sorted(members, key=lambda n: (-good[n][0].num_rows, n)):
            data = good[name][0]
            rows = set(zip(*(data.column(c).to_pylist() for c in order), strict=True))
            if not rows <= seen:
                kept.append(name)
                seen |= rows
    return kept


def _previous_network(store: ObjectStore) -> dict[str, Any]:
    for version in reversed(history_versions(store)):
        try:
            return load_version(store, version).network
        except LakeDamagedError:
            continue
    return {}


def _commit_rebuilt(store: ObjectStore, manifest: Manifest) -> int:
    """Swap the rebuilt manifest in over whatever ``manifest.json`` holds (even garbage)."""
    got = store.get_versioned(MANIFEST)
    old: Manifest | None = None
    if got is not None:
        try:
            old = _parse(store, got[0])
        except LakeDamagedError:
            old = None
    kept = history_versions(store)
    manifest.version = max([0, *kept, old.version if old else 0]) + 1
    manifest.created_at = (old.created_at if old else "") or dt.datetime.now(dt.UTC).isoformat()
    if old is not None:
        manifest.retired = {**old.retired}
        now = time.time()
        for name in set(old.objects) - set(manifest.objects):
            manifest.retired[name] = now
    manifest.updated_at = dt.datetime.now(dt.UTC).isoformat(timespec="milliseconds")
    data = encode(manifest)
    if not store.put_if(MANIFEST, data, got[1] if got else None):
        raise SourceError(
            f"another writer committed to {store.url} during the repair; run it again"
        )
    store.put(f"{HISTORY}{manifest.version:012d}.json", data, create_only=True)
    return manifest.version


def rollback(store: ObjectStore, version: int | None = None) -> Manifest:
    """Make an earlier kept manifest current again (as a new version)."""
    current = load_manifest(store)
    kept = [v for v in history_versions(store) if v < current.version]
    if version is None:
        if not kept:
            raise LakeDamagedError(f"the lake at {store.url} keeps no earlier manifest")
        version = kept[-1]
    target = load_version(store, version)
    absent = [n for n in target.objects if not store.exists(n)]
    if absent:
        raise LakeDamagedError(
            f"manifest version {version} lists {len(absent)} objects no longer present "
            f"(e.g. {absent[0]}); use `chainprice lake repair` instead"
        )

    def restore(m: Manifest) -> None:
        now = time.time()
        left = set(m.objects) - set(target.objects)
        for field_name in (
            "tip_height",
            "tip_hash",
            "first_height",
            "files",
            "objects",
            "days",
            "latest",
        ):
            setattr(m, field_name, getattr(target, field_name))
        m.retired = {**m.retired, **dict.fromkeys(left, now)}
        for name in target.objects:
            m.retired.pop(name, None)

    return commit(store, [restore])
