"""``latest.json``: the headline prices as the lake holds them, written after every ingest."""

from __future__ import annotations

import datetime as dt
import json

from conftest import expected, golden_chain
from file_node import FileNode

from chainprice.adapters.storage import open_store
from chainprice.lake.feed import FEED, build_feed
from chainprice.lake.ingest import ingest
from chainprice.lake.manifest import Manifest, load_manifest
from chainprice.lake.sql_views import lake_connection

AT = dt.datetime(2026, 1, 2, 3, 4, 5, tzinfo=dt.UTC)


def test_an_empty_lake_has_null_headlines() -> None:
    feed = build_feed(Manifest(), tip_time=None, generated_at=AT)
    assert feed == {
        "generated_at": "2026-01-02T03:04:05+00:00",
        "lake": {"tip_height": None, "tip_time": None},
        "day": None,
        "recent": None,
        "mempool": None,
    }


def test_manifest_version_is_given_when_known() -> None:
    manifest = Manifest(tip_height=7, latest={"mempool": {"price": 5.0, "confidence": 1.0}})
    feed = build_feed(manifest, tip_time=99, generated_at=AT, manifest_version=3)
    assert feed["lake"] == {"tip_height": 7, "tip_time": 99, "manifest_version": 3}
    assert feed["mempool"]["price"] == 5.0 and feed["mempool"]["is_valid"] is None


def test_ingest_writes_the_lake_prices_to_latest_json(tmp_path) -> None:
    lo, hi = expected()["chains"]["g1_42k"]["heights"]
    store = open_store(str(tmp_path))
    ingest(store, FileNode.from_files(golden_chain("g1_42k"), lo, hi), start_height=lo)
    feed = json.loads(store.get(FEED))
    con = lake_connection(store)
    for kind in ("day", "recent"):
        price, rough, confidence, is_valid, start, computed_at = con.sql(
            "SELECT price, rough_price, confidence, is_valid, start_height, epoch_us(computed_at) "
            f"FROM prices WHERE kind = '{kind}'"
        ).fetchone()
        got = feed[kind]
        assert (got["price"], got["rough_price"], got["confidence"]) == (price, rough, confidence)
        assert (got["is_valid"], got["start_height"]) == (is_valid, start)
        since = dt.datetime.fromisoformat(got["computed_at"]) - dt.datetime(
            1970, 1, 1, tzinfo=dt.UTC
        )
        assert since // dt.timedelta(microseconds=1) == computed_at
    assert feed["day"]["date"] == expected()["chains"]["g1_42k"]["days"][0]["date"]
    assert feed["mempool"] is None
    manifest = load_manifest(store)
    assert feed["lake"]["tip_height"] == manifest.tip_height == hi
    assert (
        feed["lake"]["tip_time"]
        == con.sql(f"SELECT time FROM blocks WHERE height = {hi}").fetchone()[0]
    )
