"""The block ranges a lake holds: one contiguous run at the top, islands below it.

Ingest appends after the top run's tip, and the reorg check compares that
run with the node. Parallel backfill workers each write a chunk of heights
and commit in any order, so the lake may hold several runs for a while;
runs join when they meet and link by hash. The top run is the manifest's
``first_height..tip_height``, the others its ``islands``.
"""

from __future__ import annotations

from dataclasses import dataclass

from chainprice.lake.manifest import CommitConflict, Manifest


@dataclass(frozen=True)
class Segment:
    first: int
    last: int
    prev_hash: str | None
    """Hash of block ``first - 1`` (None where it was not kept)."""
    last_hash: str


def segments(manifest: Manifest) -> list[Segment]:
    """Every run of heights the lake holds, lowest first."""
    runs = [Segment(*island) for island in manifest.islands]
    if manifest.tip_height is not None and manifest.first_height is not None:
        top = Segment(
            manifest.first_height,
            manifest.tip_height,
            manifest.first_prev_hash,
            manifest.tip_hash or "",
        )
        runs.append(top)
    return runs


def set_segments(manifest: Manifest, runs: list[Segment]) -> None:
    """Store ``runs`` (sorted, disjoint) in the manifest: the highest is its top run."""
    manifest.islands = [[s.first, s.last, s.prev_hash, s.last_hash] for s in runs[:-1]]
    top = runs[-1] if runs else None
    manifest.first_height = top.first if top else None
    manifest.tip_height = top.last if top else None
    manifest.tip_hash = top.last_hash if top else None
    manifest.first_prev_hash = top.prev_hash if top else None


def covering(manifest: Manifest, first: int, last: int) -> Segment | None:
    """The run holding every height of ``[first, last]``, if one does."""
    for run in segments(manifest):
        if run.first <= first and last <= run.last:
            return run
    return None


def split(manifest: Manifest, first: int, last: int) -> list[tuple[int, int, bool]]:
    """``[first, last]`` cut into ``(a, b, held)`` pieces: held by the lake or not."""
    pieces: list[tuple[int, int, bool]] = []
    at = first
    for run in segments(manifest):
        if run.last < at or run.first > last:
            continue
        if run.first > at:
            pieces.append((at, run.first - 1, False))
        pieces.append((max(at, run.first), min(last, run.last), True))
        at = run.last + 1
    if at <= last:
        pieces.append((at, last, False))
    return pieces


def joined(runs: list[Segment], new: Segment) -> list[Segment]:
    """``runs`` with ``new`` added; runs that meet become one if they link by hash."""
    merged: list[Segment] = []
    for run in sorted([*runs, new], key=lambda s: (s.first, s.last)):
        below = merged[-1] if merged else None
        if below is None or run.first > below.last + 1:
            merged.append(run)
            continue
        if run.first == below.last + 1 and run.prev_hash not in (None, below.last_hash):
            raise CommitConflict(
                f"block {run.first} does not follow the lake's block {below.last} "
                "(the node's chain changed during this run); run again"
            )
        if run.last > below.last:
            merged[-1] = Segment(below.first, run.last, below.prev_hash, run.last_hash)
    return merged
