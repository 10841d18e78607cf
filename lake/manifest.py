"""``manifest.json``: the lake's list of live objects and latest results.

Browsers cannot list a bucket, and a listing can catch a writer mid-way;
the manifest is written last, as one object, so it is the commit point for
every reader: an object not in it does not exist yet (or any more).
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import asdict, dataclass, field
from typing import Any

from adapters.storage import ObjectStore
from core.errors import SourceError
from lake_schema import SCHEMA_VERSION

MANIFEST = "manifest.json"


@dataclass
class Manifest:
    schema_version: int = SCHEMA_VERSION
    updated_at: str = ""
    tip_height: int | None = None
    tip_hash: str | None = None
    first_height: int | None = None
    files: dict[str, list[str]] = field(default_factory=dict)
    latest: dict[str, Any] = field(default_factory=dict)
    days: dict[str, dict[str, Any]] = field(default_factory=dict)
    """Priced days: ISO date -> the windows and summary of its stored price."""

    def names(self, table: str) -> list[str]:
        return self.files.get(table, [])

    def add(self, table: str, name: str) -> None:
        names = self.files.setdefault(table, [])
        if name not in names:
            names.append(name)
            names.sort()

    def remove(self, table: str, names: set[str]) -> None:
        self.files[table] = [n for n in self.names(table) if n not in names]

    def replace(self, table: str, name: str) -> None:
        """Keep ``name`` as the only object of its partition folder (an overwritten key)."""
        folder = name.rsplit("/", 1)[0] + "/"
        self.remove(table, {n for n in self.names(table) if n.startswith(folder)})
        self.add(table, name)


def load_manifest(store: ObjectStore) -> Manifest:
    if not store.exists(MANIFEST):
        return Manifest()
    raw = json.loads(store.get(MANIFEST))
    if raw.get("schema_version") != SCHEMA_VERSION:
        raise SourceError(
            f"{store.url}/{MANIFEST} has schema version {raw.get('schema_version')}, "
            f"this program reads version {SCHEMA_VERSION}"
        )
    return Manifest(**raw)


def save_manifest(store: ObjectStore, manifest: Manifest) -> None:
    manifest.updated_at = dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
    store.put(MANIFEST, json.dumps(asdict(manifest), indent=1, sort_keys=True).encode())
