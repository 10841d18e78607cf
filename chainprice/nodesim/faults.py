"""Deterministic fault injection and the request log tests read.

A fault is drawn per HTTP request from a hash of the seed, the request
(what it asks for) and how many times that same request came before. So
the n-th attempt at fetching block X meets the same fault whatever the
order in which concurrent clients arrive, and a retry draws afresh.
"""

from __future__ import annotations

import enum
import hashlib
import threading
from collections import Counter
from dataclasses import dataclass
from typing import Any


class Fault(enum.Enum):
    ERROR_503 = "error_503"
    ERROR_500 = "error_500"
    DROP = "drop"
    """Close the connection without answering."""
    TRUNCATE_SHORT = "truncate_short"
    """A block body cut short, with a Content-Length that matches the cut body."""
    TRUNCATE_CLOSE = "truncate_close"
    """The full Content-Length announced, part of the body sent, then the connection closed."""


@dataclass(frozen=True)
class FaultPlan:
    """Rates of each fault (per HTTP request for block, header, tip and price data).

    ``truncate_rate`` only applies to answers that carry a raw block.
    """

    latency_ms: float = 0.0
    error_rate: float = 0.0
    drop_rate: float = 0.0
    truncate_rate: float = 0.0
    seed: int = 0

    def __post_init__(self) -> None:
        rates = (self.error_rate, self.drop_rate, self.truncate_rate)
        if self.latency_ms < 0 or any(r < 0 for r in rates) or sum(rates) > 1:
            raise ValueError(
                "fault rates must be non-negative and sum to at most 1, latency non-negative"
            )


@dataclass(frozen=True)
class Decision:
    fault: Fault | None
    draw: float
    """A second uniform draw in [0, 1) for the fault's details (where to cut a body)."""


class FaultInjector:
    """Draws each request's fault from the plan; thread-safe."""

    def __init__(self, plan: FaultPlan) -> None:
        self.plan = plan
        self._attempts: Counter[str] = Counter()
        self._lock = threading.Lock()

    def _uniform(self, key: str, attempt: int, stream: int) -> float:
        text = f"{self.plan.seed}|{stream}|{attempt}|{key}".encode()
        return int.from_bytes(hashlib.blake2b(text, digest_size=8).digest()) / 2**64

    def decide(self, key: str, carries_block: bool) -> Decision:
        with self._lock:
            attempt = self._attempts[key]
            self._attempts[key] += 1
        u = self._uniform(key, attempt, 0)
        detail = self._uniform(key, attempt, 1)
        plan = self.plan
        fault = None
        if u < plan.drop_rate:
            fault = Fault.DROP
        elif u < plan.drop_rate + plan.error_rate:
            fault = Fault.ERROR_503 if detail < 0.5 else Fault.ERROR_500
        elif carries_block and u < plan.drop_rate + plan.error_rate + plan.truncate_rate:
            fault = Fault.TRUNCATE_SHORT if detail < 0.5 else Fault.TRUNCATE_CLOSE
        return Decision(fault, self._uniform(key, attempt, 2))


@dataclass(frozen=True)
class RequestRecord:
    """One answered (or dropped) request; a JSON-RPC batch logs one record per call."""

    protocol: str
    """``rpc``, ``rest``, ``esplora``, ``price`` or ``http`` (anything else)."""
    target: str
    """The RPC method, or the URL path without its query."""
    params: Any
    """RPC params as sent (list or dict), or the query parameters as a dict."""
    status: int
    """HTTP status sent; 0 when the connection was closed without an answer."""
    fault: str | None
    """The ``Fault`` value applied, if any."""


class RequestLog:
    """Thread-safe list of records since start (or the last ``clear``)."""

    def __init__(self) -> None:
        self._records: list[RequestRecord] = []
        self._lock = threading.Lock()

    def add(self, records: list[RequestRecord]) -> None:
        with self._lock:
            self._records.extend(records)

    def snapshot(self) -> list[RequestRecord]:
        with self._lock:
            return list(self._records)

    def clear(self) -> None:
        with self._lock:
            self._records.clear()
