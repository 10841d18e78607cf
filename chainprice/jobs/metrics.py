"""The lake's state as Prometheus metrics, for node_exporter's textfile collector or a scrape.

Read from the manifest alone (one small object, as ``health``), so writing
them after every run costs one request: the lag behind the node, each job's
last success, status and duration, and the latest prices with their
confidence, validity and divergence from the exchange.
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any

from chainprice.jobs.alerts import PRICE_KINDS

if TYPE_CHECKING:
    from prometheus_client import CollectorRegistry

    from chainprice.lake.manifest import Manifest

PREFIX = "chainprice_"


def _stamp(text: str | None) -> float | None:
    return None if text is None else dt.datetime.fromisoformat(text).timestamp()


def _set(gauge, value: float | None, *labels: str) -> None:
    if value is not None:
        (gauge.labels(*labels) if labels else gauge).set(float(value))


def _jobs(registry: CollectorRegistry, jobs: dict[str, Any], now: float) -> None:
    from prometheus_client import Gauge

    def gauge(name: str, doc: str) -> Gauge:
        return Gauge(PREFIX + name, doc, ["job"], registry=registry)

    since = gauge("job_seconds_since_last_success", "Seconds since the job last succeeded")
    success = gauge("job_last_success_timestamp_seconds", "When the job last succeeded")
    ok = gauge("job_last_run_ok", "1 if the job's latest run succeeded, 0 if it failed")
    took = gauge("job_last_duration_seconds", "How long the job's latest run took")
    for job, entry in sorted(jobs.items()):
        last = _stamp(entry.get("last_success_at"))
        _set(success, last, job)
        _set(since, None if last is None else now - last, job)
        _set(ok, entry.get("last_status") == "ok", job)
        _set(took, entry.get("last_duration_seconds"), job)


def _prices(registry: CollectorRegistry, latest: dict[str, Any]) -> None:
    from prometheus_client import Gauge

    def gauge(name: str, doc: str) -> Gauge:
        return Gauge(PREFIX + name, doc, ["kind"], registry=registry)

    price = gauge("price_usd", "The latest price of each kind (day, recent, mempool)")
    confidence = gauge("price_confidence", "Its confidence, 0 to 1")
    valid = gauge("price_valid", "1 if it passed the validity checks, 0 if not")
    divergence = gauge("price_divergence_pct", "Its difference from the exchange's, in percent")
    exchange = gauge("exchange_price_usd", "The exchange's price it was compared with")
    computed = gauge("price_computed_timestamp_seconds", "When it was computed")
    for kind in PRICE_KINDS:
        row = latest.get(kind)
        if not row:
            continue
        _set(price, row.get("price"), kind)
        _set(confidence, row.get("confidence"), kind)
        _set(valid, row.get("is_valid"), kind)
        _set(divergence, row.get("diff_pct"), kind)
        _set(exchange, row.get("exchange_price"), kind)
        _set(computed, _stamp(row.get("computed_at")), kind)


def lake_metrics(manifest: Manifest, now: dt.datetime | None = None) -> CollectorRegistry:
    """A registry holding the manifest's metrics; a fact the lake lacks is left out."""
    from prometheus_client import CollectorRegistry, Gauge

    now = now or dt.datetime.now(dt.UTC)
    registry = CollectorRegistry()
    latest = manifest.latest
    ingest = latest.get("jobs", {}).get("ingest", {})

    def gauge(name: str, doc: str, value: float | None) -> None:
        if value is not None:  # an unlabelled gauge is always exported: 0 would be a lie
            Gauge(PREFIX + name, doc, registry=registry).set(float(value))

    gauge("lake_tip_height", "The lake's highest block", manifest.tip_height)
    gauge("node_tip_height", "The node's tip at the latest ingest", ingest.get("tip_height"))
    gauge("lag_blocks", "Blocks behind the node at the latest ingest", ingest.get("lag_blocks"))
    gauge("manifest_version", "Commits to the lake so far", manifest.version)
    active = latest.get("alerts", {}).get("active", {})
    gauge("alerts_active", "Alert conditions holding (posted to the webhook)", len(active))
    gauge("metrics_generated_timestamp_seconds", "When these metrics were read", now.timestamp())
    _jobs(registry, latest.get("jobs", {}), now.timestamp())
    _prices(registry, latest)
    return registry
