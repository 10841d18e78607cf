"""A lake's rows, table by table, for comparing two lakes (timestamps of writing left out)."""

from __future__ import annotations

import polars as pl

from chainprice.adapters.storage import ObjectStore
from chainprice.lake.sql_views import lake_connection

VOLATILE = {"ingested_at", "computed_at"}
ORDER = {
    "blocks": "height",
    "outputs": "height, tx_index, vout",
    "txids": "height, tx_index",
    "prices": "kind, date, tip_height",
    "intraday": "date, seq",
    "exchange_prices": "date, time",
}


def lake_rows(store: ObjectStore) -> dict[str, list]:
    con = lake_connection(store)
    tables = {}
    for table, order in ORDER.items():
        columns = [c for c in con.sql(f"SELECT * FROM {table}").columns if c not in VOLATILE]
        query = f"SELECT {', '.join(columns)} FROM {table} ORDER BY {order}"
        tables[table] = con.sql(query).fetchall()
    return tables


def lake_frames(store: ObjectStore) -> dict[str, pl.DataFrame]:
    """The same tables as polars frames (histograms too), sorted, timestamps of writing left out."""
    con = lake_connection(store)
    frames = {}
    for table, order in {**ORDER, "histograms": "date"}.items():
        frame = con.sql(f"SELECT * FROM {table}").pl()
        keys = [k.strip() for k in order.split(",")]
        frames[table] = frame.drop([c for c in frame.columns if c in VOLATILE]).sort(keys)
    return frames
