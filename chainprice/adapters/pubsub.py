"""Publishing to a Pub/Sub topic over its REST API (``topics.publish``).

In the cloud the request carries the function's own credentials (Google's
application default credentials); with ``PUBSUB_EMULATOR_HOST`` set it goes,
unauthenticated, to that host instead: Google's emulator or the project's
local dispatcher (``chainprice dispatch``), which speak the same API.
"""

from __future__ import annotations

import base64
import json
import os
from collections.abc import Sequence
from typing import Any

import requests

from chainprice.core.errors import SourceError

SCOPE = "https://www.googleapis.com/auth/pubsub"
API = "https://pubsub.googleapis.com"
TIMEOUT = 30.0
BATCH = 100


class PublishError(SourceError):
    """The topic refused or did not take the messages."""


def _session() -> tuple[requests.Session, str]:
    emulator = os.environ.get("PUBSUB_EMULATOR_HOST")
    if emulator:
        base = emulator if "://" in emulator else f"http://{emulator}"
        return requests.Session(), base.rstrip("/")
    import google.auth
    from google.auth.transport.requests import AuthorizedSession

    credentials, _ = google.auth.default(scopes=[SCOPE])
    return AuthorizedSession(credentials), API


def publish(topic: str, payloads: Sequence[dict[str, Any]]) -> list[str]:
    """Publish each payload as one JSON message to ``topic`` (``projects/P/topics/T``); returns
    the message ids, in order."""
    session, base = _session()
    ids: list[str] = []
    for i in range(0, len(payloads), BATCH):
        messages = [
            {"data": base64.b64encode(json.dumps(p).encode()).decode()}
            for p in payloads[i : i + BATCH]
        ]
        try:
            answer = session.post(
                f"{base}/v1/{topic}:publish", json={"messages": messages}, timeout=TIMEOUT
            )
        except requests.RequestException as exc:
            raise PublishError(f"cannot reach Pub/Sub at {base}: {type(exc).__name__}") from None
        if answer.status_code != 200:
            raise PublishError(
                f"Pub/Sub refused the messages for {topic}: HTTP {answer.status_code}"
            )
        ids += answer.json().get("messageIds", [])
    return ids
