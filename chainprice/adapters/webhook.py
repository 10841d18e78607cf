"""Posting one message to an incoming webhook (Slack, Discord, or any URL taking a JSON POST).

The body carries the text twice, as ``text`` (Slack, Mattermost, Google
Chat) and ``content`` (Discord); each service ignores the other's field. The
URL is a secret (whoever holds it can post to the channel), so no error
says it: requests' own messages name the URL, and are never passed on.
"""

from __future__ import annotations

import requests

from chainprice.core.errors import SourceError

TIMEOUT = 10.0
MAX_CHARS = 1900
"""Discord refuses a ``content`` over 2000 characters."""


class WebhookError(SourceError):
    """The webhook did not take the message; the text names neither the URL nor its parts."""


def post_message(url: str, text: str, *, timeout: float = TIMEOUT) -> None:
    """Post ``text``; raises ``WebhookError`` when the webhook is down or refuses it."""
    if len(text) > MAX_CHARS:
        text = text[: MAX_CHARS - 3] + "..."
    try:
        answer = requests.post(
            url, json={"text": text, "content": text}, timeout=timeout, allow_redirects=False
        )
    except requests.RequestException as exc:
        raise WebhookError(f"the alert webhook did not answer ({type(exc).__name__})") from None
    if not 200 <= answer.status_code < 300:
        raise WebhookError(f"the alert webhook answered HTTP {answer.status_code}")
