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
