"""Which alert conditions hold and which messages are still to post, kept in the manifest.

``latest["alerts"]`` holds the conditions that started and have not cleared
(``active``) and the messages not yet delivered (``outbox``). A run changes
them in a commit, so the compare-and-swap that orders every writer decides
which run saw a condition start or clear: two runs at once record one
transition and queue one message. A queued message is then leased to one run
(``lease_until``) and removed once posted; a run killed before it posts
leaves a lease that expires, and the next run posts it. A message can thus
be posted twice (a run killed between the post and its removal), never lost.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Callable, Collection
from dataclasses import dataclass
from typing import Any

from chainprice.lake.manifest import Manifest, Op

KEY = "alerts"
LEASE_SECONDS = 120.0
"""Longer than one run's posts take (a few messages, 10 s timeout each)."""
MAX_OUTBOX = 50
"""With the webhook down for long, the oldest messages go first: the state stays current."""


@dataclass(frozen=True)
class Message:
    id: str
    text: str


def _state(m: Manifest) -> dict[str, Any]:
    old = m.latest.get(KEY) or {}
    return {
        "active": {k: dict(v) for k, v in old.get("active", {}).items()},
        "outbox": [dict(x) for x in old.get("outbox", [])],
    }


def _queue(outbox: list[dict[str, Any]], text: str, at: str) -> None:
    outbox.append({"id": uuid.uuid4().hex[:16], "text": text, "queued_at": at, "lease_until": 0})


def transition_and_claim(
    conditions: Callable[[Manifest], dict[str, str]],
    now: dt.datetime,
    owner: str,
    claimed: list[Message],
) -> Op:
    """Queue a message per condition that started or cleared, then lease the due messages to
    ``owner`` (filled into ``claimed``, refilled if the commit re-applies the change)."""

    def apply(m: Manifest) -> None:
        claimed.clear()
        before = _state(m)
        state = _state(m)
        active, outbox = state["active"], state["outbox"]
        holding = conditions(m)
        at = now.isoformat(timespec="seconds")
        for key, text in sorted(holding.items()):
            if key not in active:
                active[key] = {"since": at, "message": text}
                _queue(outbox, f"PROBLEM: {text}", at)
        for key in sorted(set(active) - set(holding)):
            entry = active.pop(key)
            _queue(outbox, f"RESOLVED (since {entry['since']}): {entry['message']}", at)
        del outbox[:-MAX_OUTBOX]
        stamp = now.timestamp()
        for message in outbox:
            if message["lease_until"] <= stamp:
                message |= {"lease_until": stamp + LEASE_SECONDS, "owner": owner}
                claimed.append(Message(message["id"], message["text"]))
        if state != before:
            m.latest[KEY] = state

    return apply


def settle(sent: Collection[str], unsent: Collection[str], owner: str) -> Op:
    """Drop the messages posted; hand the ones ``owner`` could not post back to the next run."""

    def apply(m: Manifest) -> None:
        if KEY not in m.latest:
            return
        state = _state(m)
        state["outbox"] = [x for x in state["outbox"] if x["id"] not in sent]
        for message in state["outbox"]:
            if message["id"] in unsent and message.get("owner") == owner:
                message["lease_until"] = 0
        m.latest[KEY] = state

    return apply
