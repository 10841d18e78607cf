"""Alerts: what needs a person, read from the lake after every run, posted to a webhook once
when it starts and once when it clears.

Every run (any job, any instance) evaluates the same conditions from the
manifest it commits to, so stateless runs agree; ``lake.alert_state`` makes
the commit protocol decide which run saw a transition. Posting is the last
thing a run does, and its failure is logged and never fails the job: the
message stays queued in the lake and the next run posts it.
"""

from __future__ import annotations

import datetime as dt
import logging
from typing import TYPE_CHECKING, Any

from chainprice.jobs.settings import AlertSettings

if TYPE_CHECKING:
    from chainprice.jobs.logs import JobLog
    from chainprice.jobs.wiring import Wiring
    from chainprice.lake.manifest import Manifest

PRICE_KINDS = ("day", "recent", "mempool")
_warn = logging.getLogger("chainprice.alerts").warning
"""A run's own line when it logs, ``chainprice: ...`` on stderr from a CLI that does not."""


def _usd(value: float | None) -> str:
    return "n/a" if value is None else f"${value:,.0f}"


def _price_conditions(latest: dict[str, Any], limits: AlertSettings) -> dict[str, str]:
    found: dict[str, str] = {}
    for kind in PRICE_KINDS:
        row = latest.get(kind)
        if not row:
            continue
        when = row.get("date") or row.get("computed_at", "")[:16]
        if row.get("is_valid") is False:
            found[f"invalid:{kind}"] = (
                f"the {kind} price stored for {when} is not valid: "
                f"{row.get('invalid_reason') or 'no reason given'} ({_usd(row.get('price'))})"
            )
        diff = row.get("diff_pct")
        if diff is not None and abs(diff) > limits.max_divergence_pct:
            found[f"divergence:{kind}"] = (
                f"the {kind} price for {when} ({_usd(row.get('price'))}) is {diff:+.2f} % from "
                f"the exchange's {_usd(row.get('exchange_price'))} "
                f"(limit {limits.max_divergence_pct:g} %)"
            )
    return found


def conditions(
    latest: dict[str, Any], limits: AlertSettings, watched: tuple[str, ...], now: dt.datetime
) -> dict[str, str]:
    """The conditions holding in the manifest's ``latest``: a stable key -> a one-line message.

    ``watched``: the jobs whose silence is alerted (a job that has never run is not: it may
    not be deployed; one that only ever failed has its failure alerted).
    """
    jobs: dict[str, Any] = latest.get("jobs", {})
    found: dict[str, str] = {}
    for job, entry in sorted(jobs.items()):
        if entry.get("last_status") == "error":
            found[f"failed:{job}"] = f"{job} failed: {entry.get('last_error') or 'no error text'}"
    for job in watched:
        success = jobs.get(job, {}).get("last_success_at")
        if success is None:
            continue
        age = (now - dt.datetime.fromisoformat(success)).total_seconds()
        if age > limits.max_silence_seconds:
            found[f"silent:{job}"] = (
                f"{job} has not succeeded since {success[:19]}Z "
                f"(limit {limits.max_silence_seconds:g} s)"
            )
    lag = jobs.get("ingest", {}).get("lag_blocks")
    if lag is not None and lag > limits.max_lag_blocks:
        found["lag"] = (
            f"the lake is {lag} blocks behind the node (limit {limits.max_lag_blocks} blocks)"
        )
    return found | _price_conditions(latest, limits)


def send_alerts(wiring: Wiring, log: JobLog, run_id: str, now: dt.datetime | None = None) -> None:
    """Record the transitions this run sees and post the due messages; never raises."""
    limits = wiring.settings.alerts
    if limits.webhook_url is None or not wiring.has_lake:
        return
    from chainprice.adapters.webhook import post_message
    from chainprice.core.errors import ChainPriceError
    from chainprice.jobs.runner import one_line
    from chainprice.lake.alert_state import Message, settle, transition_and_claim
    from chainprice.lake.manifest import commit

    now = now or dt.datetime.now(dt.UTC)
    watched = wiring.settings.health.jobs

    def holding(m: Manifest) -> dict[str, str]:
        """The conditions, their messages scrubbed of secrets before they reach the lake."""
        found = conditions(m.latest, limits, watched, now)
        return {key: log.scrub(text) for key, text in found.items()}

    claimed: list[Message] = []
    try:
        commit(wiring.store, [transition_and_claim(holding, now, run_id, claimed)])
    except Exception as exc:  # alerting must never fail the job it follows
        _warn(f"alerts: the lake's alert state could not be updated: {one_line(exc)}")
        return
    sent: list[str] = []
    for message in claimed:
        try:
            post_message(limits.webhook_url, message.text)
        except ChainPriceError as exc:
            _warn(f"alerts: {exc}; {len(claimed) - len(sent)} message(s) kept for next run")
            break
        sent.append(message.id)
    if claimed:
        log.info(f"alerts: {len(sent)} of {len(claimed)} message(s) posted")
        unsent = {m.id for m in claimed} - set(sent)
        try:
            commit(wiring.store, [settle(set(sent), unsent, run_id)])
        except Exception as exc:
            _warn(f"alerts: the posted messages could not be marked: {one_line(exc)}")
