"""The static site in headless Chromium over lakes served by ``chainprice site serve``'s server:
headline prices equal the lake's, every chart has data, warnings and badges appear, the SQL
box answers, nothing fails in the console, no request leaves the origin, and axe-core finds
no serious or critical accessibility violation. Screenshots go to artifacts/site/."""

from __future__ import annotations

import datetime as dt
import io
import json
import math
import shutil
import time
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

import pyarrow.parquet as pq
import pytest
from playwright.sync_api import Page, sync_playwright
from site_lake import commit, compact, compared, day_row, golden_lake, put_day, put_mempool

from chainprice.adapters.file_server import start_server
from chainprice.lake.feed import FEED
from chainprice.lake.sql_views import lake_connection
from chainprice.sitebuild import SITE_SOURCE, build_site

CHROMIUM = "/usr/bin/chromium"
ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
ARTIFACTS = Path(__file__).resolve().parent.parent / "artifacts" / "site"
AXE = SITE_SOURCE / "node_modules" / "axe-core" / "axe.min.js"
CHARTS = ("chart-history", "chart-intraday", "chart-histogram", "chart-mempool")
HEADLINES = {"day": "latest-day-price", "recent": "latest-recent-price"}
MEMPOOL_AT = dt.datetime.now(dt.UTC).replace(microsecond=0) - dt.timedelta(minutes=30)


def shown(price: float) -> str:
    """A price as the page shows it: whole dollars, halves away from zero (Intl's rounding)."""
    return f"${Decimal(price).quantize(Decimal(1), rounding=ROUND_HALF_UP):,}"


def normal_lake(folder: Path) -> None:
    """The golden day (2024-12-05) 0.5 % above the exchange, nine earlier finished days (those
    of November merged into a month object, as ingest does), three mempool estimates."""
    store, manifest, day = golden_lake(folder)
    real = day_row(store, day)
    for back in range(9, 0, -1):
        price = real["price"] * (1 + 0.02 * math.sin(back))
        row = compared(real, price, price / (1 + 0.004 * math.cos(back)))
        put_day(store, manifest, day - dt.timedelta(days=back), row, published=True)
    put_day(store, manifest, day, compared(real, real["price"], real["price"] / 1.005))
    for i in range(3):
        at = MEMPOOL_AT + dt.timedelta(minutes=10 * i)
        put_mempool(store, manifest, real, at, real["price"] * (1 + 0.001 * i))
    commit(store, manifest)
    compact(store)


def divergent_lake(folder: Path) -> None:
    """The golden day 3.2 % above the exchange, after an invalid day and two valid ones."""
    store, manifest, day = golden_lake(folder)
    real = day_row(store, day)
    for back in (3, 2, 1):
        row = compared(real, real["price"] * 0.99, real["price"] * 0.995)
        if back == 2:
            reason = "confidence 0.31 below 0.50"
            row |= {"is_valid": False, "invalid_reason": reason, "confidence": 0.31}
        put_day(store, manifest, day - dt.timedelta(days=back), row)
    put_day(store, manifest, day, compared(real, real["price"], real["price"] / 1.032))
    commit(store, manifest)


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    """Both lakes, each with a copy of one site build next to it, behind one local server."""
    root = tmp_path_factory.mktemp("www")
    build = tmp_path_factory.mktemp("build") / "site"
    build_site(build, "../lake/")
    for name, make in (("normal", normal_lake), ("divergent", divergent_lake)):
        make(root / name / "lake")
        shutil.copytree(build, root / name / "site")
    server = start_server(root)
    base = f"http://127.0.0.1:{server.server_address[1]}"
    yield {
        "root": root,
        "base": base,
        "normal": f"{base}/normal/site/",
        "divergent": f"{base}/divergent/site/",
    }
    server.shutdown()


@pytest.fixture(scope="module")
def browser(tmp_path_factory):
    with sync_playwright() as p:
        context = p.chromium.launch_persistent_context(
            str(tmp_path_factory.mktemp("chromium")),
            executable_path=CHROMIUM,
            headless=True,
            args=ARGS,
            accept_downloads=True,
            viewport={"width": 1280, "height": 900},
        )
        yield context
        context.close()


class Visit:
    """One page load with everything it logged and requested."""

    def __init__(self, context, url: str, width: int = 1280) -> None:
        self.page: Page = context.new_page()
        self.page.set_viewport_size({"width": width, "height": 900})
        self.console: list[tuple[str, str]] = []
        self.requests: list[str] = []
        self.page.on("console", lambda m: self.console.append((m.type, m.text)))
        self.page.on("pageerror", lambda e: self.console.append(("pageerror", str(e))))
        self.page.on("request", lambda r: self.requests.append(r.url))
        self.page.goto(url)
        self.page.wait_for_function(
            "() => window.chainprice"
            " && (window.chainprice.ready || window.chainprice.errors.length)",
            timeout=60_000,
        )
        assert self.page.evaluate("window.chainprice.errors") == []

    def text(self, testid: str) -> str:
        return self.page.get_by_test_id(testid).inner_text()

    def trace_sizes(self, testid: str) -> dict[str, int]:
        return self.page.evaluate(
            """id => Object.fromEntries(document.querySelector(`[data-testid="${id}"]`).data
                 .map(t => [t.name, t.y.filter(v => v !== null).length]))""",
            testid,
        )

    def close(self) -> None:
        self.page.close()


@pytest.fixture(scope="module")
def normal(browser, served):
    visit = Visit(browser, served["normal"])
    yield visit
    visit.close()


@pytest.fixture(scope="module")
def divergent(browser, served):
    visit = Visit(browser, served["divergent"])
    yield visit
    visit.close()


def lake_of(served, name: str):
    from chainprice.adapters.storage import open_store

    return open_store(str(served["root"] / name / "lake"))


def test_headline_prices_equal_the_lakes_and_show_before_the_lake_loads(normal, served) -> None:
    con = lake_connection(lake_of(served, "normal"))
    for kind, testid in HEADLINES.items():
        (price,) = con.sql(
            f"SELECT price FROM prices WHERE kind = '{kind}' "
            "ORDER BY date DESC, computed_at DESC LIMIT 1"
        ).fetchone()
        assert normal.text(testid) == shown(price)
    (mempool,) = con.sql(
        "SELECT price FROM prices WHERE kind = 'mempool' ORDER BY computed_at DESC LIMIT 1"
    ).fetchone()
    assert normal.text("latest-mempool-price") == shown(mempool)
    timing = normal.page.evaluate("window.chainprice")
    assert 0 < timing["headline"] < timing["ready"]
    assert "confidence 0.96" in normal.text("latest-day-meta")
    assert normal.text("latest-day-badges") == "Valid"
    assert normal.page.get_by_test_id("divergence-warning").is_hidden()


def test_every_chart_has_data(normal, served) -> None:
    for chart in CHARTS:
        assert normal.page.get_by_test_id(chart).get_attribute("data-state") == "drawn", chart
    con = lake_connection(lake_of(served, "normal"))
    (n_plotted,) = con.sql(
        "SELECT n_plotted FROM prices WHERE kind = 'day' AND date = '2024-12-05'"
    ).fetchone()
    assert normal.trace_sizes("chart-intraday") == {"price points 2024-12-05": n_plotted}
    days = normal.page.evaluate("document.querySelector('[data-testid=chart-history]').data[1].x")
    assert days == [f"2024-{d}" for d in ("11-26", "11-27", "11-28", "11-29", "11-30")] + [
        f"2024-12-0{d}" for d in range(1, 6)
    ]  # November from its month object, December from day objects
    assert [n for n in lake_of(served, "normal").list("prices/") if "month=" in n]
    assert normal.trace_sizes("chart-history") == {
        "exchange": 10, "on-chain": 10, "on-chain, invalid": 0, "canonical window": 0,
    }  # fmt: skip
    assert normal.trace_sizes("chart-histogram") == {"cleaned histogram": 1400}
    for chart in ("chart-history", "chart-histogram", "chart-mempool"):  # drawn, not just set
        assert normal.page.locator(f"[data-testid={chart}] .scatterlayer path").count(), chart
    marks = normal.page.evaluate(
        "document.querySelector('[data-testid=chart-histogram]').layout.shapes.length"
    )
    assert marks >= 10
    assert normal.trace_sizes("chart-mempool") == {"mempool estimate": 3}
    assert "no mempool data" in normal.text("chart-mempool-scatter")


def test_range_buttons_and_stats_follow_the_range(normal) -> None:
    page = normal.page
    page.get_by_test_id("range-7").click()
    page.wait_for_function(
        "document.querySelector('[data-testid=range-7]').getAttribute('aria-pressed') === 'true'"
    )
    assert normal.trace_sizes("chart-history")["on-chain"] == 7
    assert "Over 7 valid days" in normal.text("stats-note")
    accuracy = normal.page.locator("[data-testid=stat-accuracy] .value").inner_text()
    assert accuracy.startswith("median ") and "95th pct" in accuracy
    page.get_by_test_id("range-all").focus()
    page.keyboard.press("Enter")
    page.wait_for_function(
        "document.querySelector('[data-testid=range-all]').getAttribute('aria-pressed') === 'true'"
    )
    assert normal.trace_sizes("chart-history")["on-chain"] == 10
    assert "Over 10 valid days" in normal.text("stats-note")
    correlation = normal.page.locator("[data-testid=stat-correlation] .value").inner_text()
    assert -1 <= float(correlation) <= 1


def test_divergence_warning_and_invalid_badge(divergent) -> None:
    warning = divergent.page.get_by_test_id("divergence-warning")
    assert warning.is_visible()
    assert warning.inner_text().startswith("Large divergence detected: +3.2%")
    assert divergent.text("latest-day-badges") == "Valid\nDiverges +3.2%"
    badge = divergent.page.get_by_test_id("history-badges").get_by_test_id("badge-invalid")
    assert badge.is_visible()
    assert "2024-12-03" in badge.inner_text() and "confidence 0.31" in badge.inner_text()
    assert divergent.trace_sizes("chart-history")["on-chain, invalid"] == 1
    assert divergent.text("latest-mempool-price") == "no mempool data"
    assert divergent.page.get_by_test_id("chart-mempool").get_attribute("data-state") == "empty"


def test_sql_box_answers_over_the_lakes_tables(normal, served) -> None:
    page = normal.page
    (blocks,) = (
        lake_connection(lake_of(served, "normal")).sql("SELECT count(*) FROM blocks").fetchone()
    )
    page.get_by_test_id("sql-input").fill("SELECT count(*) AS n FROM blocks")
    page.get_by_test_id("sql-run").click()
    page.wait_for_function(
        "document.querySelector('[data-testid=sql-result]').dataset.rows === '1'"
    )
    assert page.locator("[data-testid=sql-result] td").inner_text() == str(blocks)
    page.get_by_test_id("sql-input").fill("SELECT nonsense FROM blocks")
    page.get_by_test_id("sql-run").click()
    page.get_by_test_id("sql-error").wait_for(state="visible")
    assert "nonsense" in normal.text("sql-error")


def test_downloads_hold_the_daily_prices(normal) -> None:
    page = normal.page
    with page.expect_download() as got:
        page.get_by_test_id("download-csv").click()
    lines = Path(got.value.path()).read_text().strip().splitlines()
    assert lines[0].startswith("date,price,") and len(lines) == 11
    assert lines[-1].startswith("2024-12-05,")
    with page.expect_download() as got:
        page.get_by_test_id("download-parquet").click()
    table = pq.read_table(io.BytesIO(Path(got.value.path()).read_bytes()))
    assert table.num_rows == 10 and table.column("date").to_pylist()[-1] == "2024-12-05"


def test_polling_shows_a_new_feed(browser, served) -> None:
    store = lake_of(served, "divergent")
    visit = Visit(browser, served["divergent"] + "?poll=1")
    original = store.get(FEED)
    feed = json.loads(original)
    feed["recent"]["price"] = 123456.0
    feed["generated_at"] = dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
    store.put(FEED, json.dumps(feed).encode())
    visit.page.wait_for_function(
        "document.querySelector('[data-testid=latest-recent-price]').textContent === '$123,456'",
        timeout=10_000,
    )
    store.put(FEED, original)
    visit.close()


def test_no_console_error_and_no_request_leaves_the_origin(normal, divergent, served) -> None:
    for visit in (normal, divergent):
        assert [m for m in visit.console if m[0] in ("error", "pageerror")] == []
        assert visit.requests and all(u.startswith(served["base"] + "/") for u in visit.requests)


def test_no_serious_or_critical_accessibility_violation(normal, divergent) -> None:
    for visit in (normal, divergent):
        visit.page.add_script_tag(content=AXE.read_text())
        result = visit.page.evaluate("axe.run(document, {resultTypes: ['violations']})")
        bad = [
            (v["id"], v["impact"], [n["target"] for n in v["nodes"]])
            for v in result["violations"]
            if v["impact"] in ("serious", "critical")
        ]
        assert bad == []


def test_screenshots_at_desktop_and_phone_width(browser, served) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    for name in ("normal", "divergent"):
        for label, width in (("desktop", 1280), ("phone", 390)):
            visit = Visit(browser, served[name], width=width)
            time.sleep(0.5)  # Plotly's responsive resize
            path = ARTIFACTS / f"{name}-{label}.png"
            visit.page.screenshot(path=str(path), full_page=True)
            assert path.stat().st_size > 10_000
            overflow = visit.page.evaluate(
                "document.documentElement.scrollWidth - window.innerWidth"
            )
            assert overflow <= 0, f"{name} at {width} px scrolls sideways by {overflow} px"
            visit.close()


def test_headline_needs_neither_duckdb_nor_plotly(browser, served) -> None:
    page = browser.new_page()
    page.route("**/vendor/**", lambda route: route.abort())
    page.goto(served["normal"])
    feed = json.loads(lake_of(served, "normal").get(FEED))
    price = page.get_by_test_id("latest-day-price")
    page.wait_for_function(
        "document.querySelector('[data-testid=latest-day-price]').textContent.startsWith('$')"
    )
    assert price.inner_text() == shown(feed["day"]["price"])
    assert page.get_by_test_id("latest-recent-price").inner_text() == shown(feed["recent"]["price"])
    page.close()


def test_intraday_by_height_and_png_export(normal, served) -> None:
    page = normal.page
    page.get_by_test_id("intraday-axis").select_option("height")
    page.wait_for_function(
        "document.querySelector('[data-testid=chart-intraday]')"
        ".layout.xaxis.title.text === 'block height'"
    )
    heights = page.evaluate(
        "Array.from(document.querySelector('[data-testid=chart-intraday]').data[0].x)"
    )
    (start, end) = (
        lake_connection(lake_of(served, "normal"))
        .sql(
            "SELECT start_height, end_height FROM prices WHERE kind = 'day' AND date = '2024-12-05'"
        )
        .fetchone()
    )
    assert heights and start <= min(heights) and max(heights) < end
    with page.expect_download() as got:
        page.get_by_test_id("intraday-export").click()
    assert got.value.suggested_filename == "intraday-2024-12-05.png"
    assert Path(got.value.path()).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    page.get_by_test_id("intraday-axis").select_option("time")
