"""``latest.json``: the three headline prices in one small object, for pages that must show
them before any Parquet is read.

It is derived from the manifest alone (the commit point), and written after it, so it
never names a price the manifest does not hold. Polled by the static site every minute.
"""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

from chainprice.adapters.storage import ObjectStore
from chainprice.lake.manifest import Manifest
from chainprice.lake.reader import LakeBlocks

FEED = "latest.json"
HEADLINES = ("day", "recent", "mempool")
FIELDS = (
    "price",
    "rough_price",
    "confidence",
    "is_valid",
    "invalid_reason",
    "exchange_price",
    "diff_pct",
    "diverges",
    "computed_at",
    "date",
    "start_height",
    "end_height",
    "tip_height",
)


def _headline(entry: dict[str, Any] | None) -> dict[str, Any] | None:
    if not entry or entry.get("price") is None:
        return None
    return {key: entry.get(key) for key in FIELDS}


def build_feed(
    manifest: Manifest,
    *,
    tip_time: int | None,
    generated_at: dt.datetime,
    manifest_version: int | None = None,
) -> dict[str, Any]:
    """The ``latest.json`` object of ``manifest`` (a headline the lake lacks is null)."""
    lake: dict[str, Any] = {
        "tip_height": manifest.tip_height,
        "tip_time": tip_time,
    }
    if manifest_version is not None:
        lake["manifest_version"] = manifest_version
    return {
        "generated_at": generated_at.astimezone(dt.UTC).isoformat(timespec="seconds"),
        "lake": lake,
        **{name: _headline(manifest.latest.get(name)) for name in HEADLINES},
    }


def write_feed(store: ObjectStore, manifest: Manifest) -> dict[str, Any]:
    """Write ``latest.json`` for ``manifest`` (already committed) and return it."""
    blocks = LakeBlocks(store, manifest)
    tip_time = None if blocks.empty else blocks.header_time(manifest.tip_height)
    feed = build_feed(manifest, tip_time=tip_time, generated_at=dt.datetime.now(dt.UTC))
    store.put(FEED, json.dumps(feed, indent=1).encode())
    return feed
