"""A lake's rows, table by table, for comparing two lakes (timestamps of writing left out)."""

from __future__ import annotations

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
