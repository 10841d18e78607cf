"""``manifest.json``: the lake's list of live objects, and the commit point of every writer.

Browsers cannot list a bucket, and a listing can catch a writer mid-way; the
manifest lists every live object (with its size and SHA-256, so damage can be
found) and the latest results, and a reader sees only what it lists.

Many writers commit at once (overlapping schedules, redelivered events,
backfill workers). A commit is a compare-and-swap of the whole manifest
(``ObjectStore.put_if``: a GCS generation, an S3 ETag, a locked digest on
disk): the writer reads the current manifest, applies its changes to it
(``Op`` functions that merge rather than overwrite: "add these blocks", "this
day's price, unless one is already settled"), and writes it back only if no
one committed in between; otherwise it reads again and re-applies. Objects
leave the manifest into ``retired`` with the time they left and are deleted
only after a grace period, so a reader holding an older manifest keeps
working. Every committed manifest is also kept under ``manifests/`` for a
while, so a bad commit can be rolled back.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import json
import random
import time
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from chainprice.adapters.storage import ObjectStore
from chainprice.core.errors import SourceError
from chainprice.lake_schema import SCHEMA_VERSION, parse_object
from chainprice.lake_schema.errors import LakeNameError

MANIFEST = "manifest.json"
HISTORY = "manifests/"
HISTORY_KEEP = 20
DATA_PREFIXES = ("staging/", "blocks/", "outputs/", "txids/", "prices/", "intraday/", HISTORY)
"""Where a lake keeps objects: any of them present means the lake is not new."""
COMMIT_ATTEMPTS = 60


class LakeDamagedError(SourceError):
    """The lake's manifest is missing, unreadable or reset while its objects exist."""


class CommitConflict(SourceError):
    """Another writer changed the lake in a way this run's changes cannot merge with."""


@dataclass
class Manifest:
    schema_version: int = SCHEMA_VERSION
    version: int = 0
    """Number of commits so far; every commit adds one."""
    commit_id: str = ""
    created_at: str = ""
    updated_at: str = ""
    network: dict[str, Any] = field(default_factory=dict)
    """What chain the lake follows: ``chain`` (main, test...), ``genesis_hash``, ``first_hash``."""
    tip_height: int | None = None
    tip_hash: str | None = None
    first_height: int | None = None
    first_prev_hash: str | None = None
    """Hash of the block below ``first_height`` (None in lakes written before it was kept)."""
    islands: list[list[Any]] = field(default_factory=list)
    """Block ranges below ``first_height..tip_height`` not yet joined to it (backfill workers
    commit in any order): ``[first, last, hash of block first - 1, hash of block last]``."""
    files: dict[str, list[str]] = field(default_factory=dict)
    """Table -> its live objects (published and staged): what readers read."""
    objects: dict[str, list[Any]] = field(default_factory=dict)
    """Live object -> ``[size, sha256 hex]`` as written."""
    retired: dict[str, float] = field(default_factory=dict)
    """Objects taken out of the manifest -> when (unix seconds); deleted after the grace."""
    latest: dict[str, Any] = field(default_factory=dict)
    days: dict[str, dict[str, Any]] = field(default_factory=dict)
    """Priced days: ISO date -> the windows and summary of its stored price."""
    swept_at: float = 0.0
    """When leftovers (objects no manifest lists) were last looked for."""

    def names(self, table: str) -> list[str]:
        return self.files.get(table, [])

    def add(self, name: str, info: list[Any]) -> None:
        """List ``name`` (``info``: ``[size, sha256]``) under its table."""
        table = parse_object(name).table
        names = self.files.setdefault(table, [])
        if name not in names:
            names.append(name)
            names.sort()
        self.objects[name] = list(info)
        self.retired.pop(name, None)

    def retire(self, names: set[str] | list[str], at: float | None = None) -> None:
        """Take ``names`` out of the live lists; they are deleted once the grace has passed."""
        at = time.time() if at is None else at
        for name in names:
            if name not in self.objects:
                continue
            table = parse_object(name).table
            self.files[table] = [n for n in self.names(table) if n != name]
            del self.objects[name]
            self.retired[name] = at


Op = Callable[[Manifest], None]
"""One change to merge into whatever manifest is current when the commit lands."""


def object_info(data: bytes) -> list[Any]:
    return [len(data), hashlib.sha256(data).hexdigest()]


def _way_out(store: ObjectStore) -> str:
    return (
        f"rebuild it from the objects with `chainprice lake repair --lake {store.url}`, or "
        f"restore an earlier one with `chainprice lake rollback --lake {store.url}`"
    )


def _parse(store: ObjectStore, data: bytes) -> Manifest:
    try:
        raw = json.loads(data)
    except ValueError as exc:
        raise LakeDamagedError(
            f"{store.url}/{MANIFEST} is damaged ({len(data)} bytes, not valid JSON: {exc}); "
            + _way_out(store)
        ) from None
    if not isinstance(raw, dict):
        raise LakeDamagedError(f"{store.url}/{MANIFEST} is not a JSON object; " + _way_out(store))
    if raw.get("schema_version") != SCHEMA_VERSION:
        raise LakeDamagedError(
            f"{store.url}/{MANIFEST} has schema version {raw.get('schema_version')}, "
            f"this program reads version {SCHEMA_VERSION}; ingest into a new lake"
        )
    known = {f.name for f in dataclasses.fields(Manifest)}
    try:
        manifest = Manifest(**{k: v for k, v in raw.items() if k in known})
        if not isinstance(manifest.objects, dict) or not isinstance(manifest.files, dict):
            raise TypeError("objects and files must be JSON objects")
    except (TypeError, LakeNameError) as exc:
        raise LakeDamagedError(
            f"{store.url}/{MANIFEST} does not describe a lake ({exc}); " + _way_out(store)
        ) from None
    return manifest


def history_versions(store: ObjectStore) -> list[int]:
    """Versions kept under ``manifests/``, oldest first."""
    versions = []
    for name in store.list(HISTORY):
        stem = name.removeprefix(HISTORY).removesuffix(".json")
        if stem.isdigit():
            versions.append(int(stem))
    return sorted(versions)


def _refuse_if_not_new(store: ObjectStore, why: str) -> None:
    for prefix in DATA_PREFIXES:
        present = store.list(prefix)
        if present:
            raise LakeDamagedError(
                f"the lake at {store.url} {why} but holds objects ({present[0]} and "
                f"{len(present) - 1} more under {prefix}); " + _way_out(store)
            )


def read_manifest(store: ObjectStore) -> tuple[Manifest, str | None]:
    """The current manifest and its version token (None for a new lake)."""
    got = store.get_versioned(MANIFEST)
    if got is None:
        try:
            _refuse_if_not_new(store, f"has no {MANIFEST}")
            return Manifest(), None
        except LakeDamagedError:
            got = store.get_versioned(MANIFEST)  # another writer's first commit, just landed
            if got is None:
                raise
    data, token = got
    manifest = _parse(store, data)
    if not manifest.objects and manifest.version == 0:
        _refuse_if_not_new(store, f"has an empty {MANIFEST}")
    return manifest, token


def load_manifest(store: ObjectStore) -> Manifest:
    """The current manifest; a clear error when it is missing, damaged or reset."""
    return read_manifest(store)[0]


def check_not_reset(store: ObjectStore, manifest: Manifest) -> None:
    """Refuse a manifest older than the newest kept one (restored or reset by hand).

    Version N is kept only after it was committed, so a manifest read after the
    listing is at least N unless someone put an older one back.
    """
    versions = history_versions(store)
    if versions and versions[-1] > manifest.version:
        manifest = read_manifest(store)[0]
    if versions and versions[-1] > manifest.version:
        raise LakeDamagedError(
            f"{store.url}/{MANIFEST} is version {manifest.version}, but version {versions[-1]} "
            "was committed: it was reset or replaced outside chainprice; " + _way_out(store)
        )


def encode(manifest: Manifest) -> bytes:
    """Compact JSON (no indent: the C encoder, ten times faster than an indented dump)."""
    return json.dumps(vars(manifest), separators=(",", ":"), sort_keys=True).encode()


def commit(store: ObjectStore, ops: Sequence[Op]) -> Manifest:
    """Merge ``ops`` into the current manifest and swap it in; retried on every conflict.

    Returns the committed manifest (the current one if ``ops`` changed nothing).
    """
    commit_id = uuid.uuid4().hex
    for attempt in range(COMMIT_ATTEMPTS):
        current, token = read_manifest(store)
        if attempt and current.commit_id == commit_id:
            return current  # our write landed, its reply was lost and the retry refused
        check_not_reset(store, current)
        before = encode(current)
        for op in ops:
            op(current)
        if encode(current) == before:  # nothing to commit (the same blocks, a settled day...)
            return current
        current.version += 1
        current.commit_id = commit_id
        current.updated_at = dt.datetime.now(dt.UTC).isoformat(timespec="milliseconds")
        data = encode(current)
        if store.put_if(MANIFEST, data, token):
            _keep_history(store, current.version, data)
            return current
        time.sleep(random.uniform(0.0, min(0.5, 0.01 * 2**attempt)))
    raise SourceError(
        f"could not commit to {store.url} after {COMMIT_ATTEMPTS} attempts: too many writers "
        "changed its manifest at once; run again"
    )


def _keep_history(store: ObjectStore, version: int, data: bytes) -> None:
    store.put(f"{HISTORY}{version:012d}.json", data, create_only=True)
    if version % HISTORY_KEEP == 0:
        for old in history_versions(store)[:-HISTORY_KEEP]:
            store.delete(f"{HISTORY}{old:012d}.json")


def load_version(store: ObjectStore, version: int) -> Manifest:
    """A kept earlier manifest."""
    name = f"{HISTORY}{version:012d}.json"
    if not store.exists(name):
        kept = history_versions(store)
        raise LakeDamagedError(
            f"the lake at {store.url} keeps no manifest version {version} "
            f"(kept: {', '.join(map(str, kept)) or 'none'})"
        )
    return _parse(store, store.get(name))
