"""The cloud functions: functions-framework entry points wired to the jobs.

``ingest`` and ``mempool`` take the CloudEvents a scheduler's Pub/Sub topic
delivers; ``backfill`` (HTTP) splits a date range into chunks, one Pub/Sub
message each, that ``backfill_worker`` (CloudEvent) runs; ``health`` (HTTP)
answers 200 or 503. Configuration comes from the environment and is checked
when the instance starts: a missing or bad variable stops it with one log
line naming the variable. A failed job raises (CloudEvents) or answers 5xx
(HTTP), so Pub/Sub or the scheduler retries; the lake's commits make a
retry, a redelivery or two overlapping runs end as one clean run would.
"""

from __future__ import annotations

import json
import os
import sys
from typing import Any

import functions_framework

os.environ.setdefault("NUMBA_CPU_NAME", "generic")  # the kernels shipped are compiled for it
from chainprice.core.errors import ChainPriceError
from chainprice.jobs.settings import JobSettings, SettingsError, environment, load_settings
from chainprice.jobs.wiring import Wiring

NO_NODE_TARGETS = ("health",)


def _target() -> str | None:
    """The function this instance serves (Cloud Run's variable, or the framework's option)."""
    if os.environ.get("FUNCTION_TARGET"):
        return os.environ["FUNCTION_TARGET"]
    argv = sys.argv
    for i, arg in enumerate(argv):
        if arg == "--target" and i + 1 < len(argv):
            return argv[i + 1]
        if arg.startswith("--target="):
            return arg.split("=", 1)[1]
    return None


def _settings() -> JobSettings:
    try:
        return load_settings(environment(), needs_node=_target() not in NO_NODE_TARGETS)
    except SettingsError as exc:
        line = {"severity": "ERROR", "message": f"configuration: {exc}", "job": _target()}
        sys.stderr.write(json.dumps(line) + "\n")
        sys.stderr.flush()
        os._exit(2)  # the instance stops here, before serving anything


SETTINGS = _settings()


def _run_id(cloud_event: Any) -> str:
    """The event's id as the run id (letters and digits only): redeliveries are recognisable."""
    event_id = "".join(c for c in str(cloud_event["id"]) if c.isalnum())[:40]
    return event_id or "event"


@functions_framework.cloud_event
def ingest(cloud_event: Any) -> None:
    from chainprice.jobs.ingest import ingest_job

    ingest_job(Wiring(SETTINGS), run_id=_run_id(cloud_event))


@functions_framework.cloud_event
def mempool(cloud_event: Any) -> None:
    from chainprice.jobs.mempool import mempool_job

    mempool_job(Wiring(SETTINGS), run_id=_run_id(cloud_event))


@functions_framework.http
def health(request: Any) -> tuple[str, int, dict[str, str]]:
    from chainprice.jobs.health import health_report

    headers = {"Content-Type": "application/json", "Cache-Control": "no-store"}
    try:
        healthy, body = health_report(Wiring(SETTINGS))
    except ChainPriceError as exc:
        body = {"status": "unknown", "problems": [f"the lake cannot be read: {exc}"]}
        return json.dumps(body), 503, headers
    return json.dumps(body), 200 if healthy else 503, headers


def _json_answer(body: dict, status: int) -> tuple[str, int, dict[str, str]]:
    return json.dumps(body), status, {"Content-Type": "application/json"}


def _backfill_range(request: Any) -> tuple[Any, Any]:
    """``{"from": "YYYY-MM-DD", "to": "YYYY-MM-DD"}`` from the body (or the query string)."""
    import datetime as dt

    body = request.get_json(silent=True) or {}
    values = [body.get(k) or request.args.get(k) for k in ("from", "to")]
    try:
        first, last = (dt.date.fromisoformat(str(v)) for v in values)
    except ValueError:
        raise ValueError('give {"from": "YYYY-MM-DD", "to": "YYYY-MM-DD"}') from None
    if last < first:
        raise ValueError(f"from {first} is after to {last}")
    return first, last


@functions_framework.http
def backfill(request: Any) -> tuple[str, int, dict[str, str]]:
    """Split a date range into chunks and publish one Pub/Sub message per chunk (202)."""
    from chainprice.jobs.backfill import plan_backfill

    if request.method != "POST":
        return _json_answer({"error": "POST a JSON range"}, 405)
    if SETTINGS.backfill_topic is None:
        return _json_answer({"error": "CHAINPRICE_BACKFILL_TOPIC is not set"}, 500)
    try:
        first, last = _backfill_range(request)
    except ValueError as exc:
        return _json_answer({"error": str(exc)}, 400)
    from chainprice.adapters.pubsub import publish

    topic = SETTINGS.backfill_topic
    try:
        chunks = plan_backfill(Wiring(SETTINGS), first, last, lambda p: publish(topic, p))
    except ChainPriceError as exc:
        return _json_answer({"error": str(exc)}, 503)
    return _json_answer({"chunks": [c.to_json() for c in chunks], "topic": topic}, 202)


@functions_framework.cloud_event
def backfill_worker(cloud_event: Any) -> None:
    """One chunk from its Pub/Sub message; a message that is not a chunk is logged and acked
    (a redelivery could never succeed)."""
    import base64

    from chainprice.jobs.backfill import backfill_chunk_job
    from chainprice.jobs.logs import JobLog
    from chainprice.lake.fanout import Chunk

    run_id = _run_id(cloud_event)
    try:
        data = cloud_event.data["message"]["data"]
        chunk = Chunk.from_json(json.loads(base64.b64decode(data)))
    except (KeyError, TypeError, ValueError, ChainPriceError) as exc:
        reason = str(exc) if isinstance(exc, ChainPriceError) else "not a Pub/Sub chunk message"
        JobLog("backfill", run_id).error(f"backfill chunk refused, not retried: {reason}")
        return
    backfill_chunk_job(Wiring(SETTINGS), chunk, run_id=run_id)
