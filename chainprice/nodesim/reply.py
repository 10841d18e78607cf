"""One HTTP answer, kept as parts so a cached block body is never copied until written."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from chainprice.nodesim.faults import Fault

LIBEVENT_DEFAULT_TYPE = "text/html; charset=ISO-8859-1"
"""What Core's HTTP server (libevent) labels a body it gave no type."""
JSON_TYPE = "application/json"
TEXT_TYPE = "text/plain"
BIN_TYPE = "application/octet-stream"


@dataclass
class Reply:
    status: int
    parts: list[bytes] = field(default_factory=list)
    content_type: str | None = LIBEVENT_DEFAULT_TYPE
    headers: list[tuple[str, str]] = field(default_factory=list)
    block_parts: list[int] = field(default_factory=list)
    """Indexes of ``parts`` that hold a raw block (binary or hex): what truncation cuts."""
    hex_blocks: bool = False

    @classmethod
    def text(cls, status: int, text: str, content_type: str | None = TEXT_TYPE) -> Reply:
        return cls(status, [text.encode()], content_type)

    @property
    def length(self) -> int:
        return sum(len(p) for p in self.parts)


def work_queue_full() -> Reply:
    """Core's HTTP 503 when its RPC work queue is full (also for REST)."""
    return Reply.text(503, "Work queue depth exceeded", LIBEVENT_DEFAULT_TYPE)


@dataclass
class Exchange:
    """A routed request: what to log, whether faults apply, and how to answer it."""

    protocol: str
    calls: list[tuple[str, Any]]
    """``(target, params)`` for the request log; one per call of a JSON-RPC batch."""
    answer: Callable[[], Reply]
    fail: Callable[[Fault], Reply]
    """The protocol's own error answer for an injected 500 or 503."""
    fault_key: str | None = None
    """What identifies the request for fault draws; ``None`` when faults never apply."""
    carries_block: bool = False
