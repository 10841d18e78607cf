"""The ``histograms`` table: each priced day's cleaned histogram and stencil fit, enough to
redo the fit from the stored row alone."""

from __future__ import annotations

import numpy as np
from conftest import expected, golden_chain
from file_node import FileNode

from chainprice.adapters.storage import open_store
from chainprice.core.histogram import BIN_EDGES, N_BINS
from chainprice.core.result import ROUND_USD
from chainprice.core.rough_price import rough_price
from chainprice.lake.ingest import ingest
from chainprice.lake.sql_views import lake_connection


def test_stored_histogram_refits_to_the_stored_rough_price(tmp_path) -> None:
    lo, hi = expected()["chains"]["g2_97k"]["heights"]
    store = open_store(str(tmp_path))
    ingest(store, FileNode.from_files(golden_chain("g2_97k"), lo, hi), start_height=lo)
    con = lake_connection(store)
    rel = con.sql(
        "SELECT h.*, p.rough_price AS price_rough, p.start_height AS price_start "
        "FROM histograms h JOIN prices p ON p.kind = 'day' AND p.date = h.date"
    )
    rows = rel.fetchall()
    assert len(rows) == 1
    row = dict(zip(rel.columns, rows[0], strict=True))
    assert (row["rough_price"], row["start_height"]) == (row["price_rough"], row["price_start"])
    assert row["bins"] == list(range(201, 1601))
    assert row["bin_btc"] == BIN_EDGES[201:1601].tolist()
    hist = np.zeros(N_BINS)
    hist[201:1601] = row["bin_value"]
    fit = rough_price(hist)
    assert fit.rough == row["rough_price"]
    assert fit.best_slide == row["best_slide"] == row["slides"][int(np.argmax(row["slide_scores"]))]
    assert fit.scores.tolist() == row["slide_scores"]
    assert row["round_usd"] == list(ROUND_USD)
    at_rough = np.array(ROUND_USD) / row["rough_price"]
    np.testing.assert_allclose(row["round_usd_btc"], at_rough, rtol=0.01)
