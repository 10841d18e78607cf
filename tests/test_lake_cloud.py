"""The same lake on GCS (fake-gcs-server) and S3 (moto server): ingestion, prices and SQL."""

from __future__ import annotations

import datetime as dt

from conftest import golden_chain
from file_node import FileNode

from chainprice.adapters.storage import ObjectStore
from chainprice.core import price_day
from chainprice.lake.ingest import ingest
from chainprice.lake.manifest import load_manifest
from chainprice.lake.sql_views import lake_connection
from chainprice.lake.window_prices import day_price

pytest_plugins = ["tests.emulators"]

DAY = dt.date(2024, 3, 15)


def test_lake_on_any_store_prices_like_the_blocks(any_store: ObjectStore) -> None:
    chain = golden_chain("g1_42k")
    node = FileNode.from_files(chain, 834370, 834542)
    report = ingest(any_store, node, start_height=834370)
    assert report.days_priced == [DAY]
    got = day_price(any_store, load_manifest(any_store), DAY)
    assert got.price == price_day(chain, chain.fetch, DAY).price
    con = lake_connection(any_store)
    (price,) = con.sql("SELECT price FROM prices WHERE kind = 'day'").fetchone()
    assert price == got.price
    assert ingest(any_store, node).blocks == 0
