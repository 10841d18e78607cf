"""``lake check``: is every object the manifest lists there, whole, and what was written?

Each listed object's size and SHA-256 were recorded at write time; the check
reads every object back (in parallel: hashing releases the GIL) and compares.
It also checks that the manifest's runs of blocks (``lake.segments``) and its
per-block objects hold the same heights.
"""

from __future__ import annotations

import hashlib
import itertools
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

from chainprice.adapters.storage import ObjectMissingError, ObjectStore
from chainprice.lake.changes import block_names
from chainprice.lake.manifest import Manifest, check_not_reset, load_manifest
from chainprice.lake.segments import segments
from chainprice.lake_schema import parse_object
from chainprice.lake_schema.errors import LakeNameError
from chainprice.lake_schema.naming import PER_BLOCK_TABLES

WORKERS = 4


@dataclass
class CheckReport:
    url: str
    version: int
    objects: int = 0
    bytes: int = 0
    retired: int = 0
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems


def _verify(store: ObjectStore, name: str, size: int, sha256: str) -> str | None:
    try:
        data = store.get(name)
    except ObjectMissingError:
        return f"{name}: missing"
    if len(data) != size:
        return f"{name}: {len(data)} bytes, {size} were written"
    if hashlib.sha256(data).hexdigest() != sha256:
        return f"{name}: content differs from what was written (SHA-256)"
    return None


def _spans(heights: list[int]) -> str:
    runs, start = [], heights[0]
    for a, b in zip(heights, [*heights[1:], None], strict=True):
        if b != a + 1:
            runs.append(f"{start}..{a}")
            start = b
    return ", ".join(runs[:5]) + (" ..." if len(runs) > 5 else "")


def coverage_problems(manifest: Manifest) -> list[str]:
    """Runs of blocks that overlap, heights of a run without an object, objects outside runs."""
    runs = segments(manifest)
    problems = [
        f"block runs {a.first}..{a.last} and {b.first}..{b.last} overlap or touch"
        for a, b in itertools.pairwise(runs)
        if b.first <= a.last + 1
    ]
    held = {h for run in runs for h in range(run.first, run.last + 1)}
    names = block_names(manifest)
    for table in PER_BLOCK_TABLES:
        have = {h for (t, h) in names if t == table}
        if missing := sorted(held - have):
            problems.append(f"{table}: no object holds blocks {_spans(missing)} of the lake")
        if stray := sorted(have - held):
            problems.append(f"{table}: objects hold blocks {_spans(stray)} outside the lake's runs")
    return problems


def check_lake(store: ObjectStore) -> CheckReport:
    manifest = load_manifest(store)
    check_not_reset(store, manifest)
    report = CheckReport(store.url, manifest.version, retired=len(manifest.retired))
    for name in sorted(manifest.objects):
        try:
            parse_object(name)
        except LakeNameError as exc:
            report.problems.append(f"{name}: not the name of a lake object ({exc})")
    listed = {n for names in manifest.files.values() for n in names}
    report.problems += [
        f"{n}: in a table list but not among the objects"
        for n in sorted(listed - set(manifest.objects))
    ]
    with ThreadPoolExecutor(WORKERS) as pool:
        found = pool.map(
            lambda item: _verify(store, item[0], item[1][0], item[1][1]),
            sorted(manifest.objects.items()),
        )
        report.problems += [p for p in found if p]
    report.problems += coverage_problems(manifest)
    report.objects = len(manifest.objects)
    report.bytes = sum(info[0] for info in manifest.objects.values())
    return report
