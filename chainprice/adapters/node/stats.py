"""Counters of what a client did, shared by its worker threads."""

from __future__ import annotations

import threading
from dataclasses import dataclass, field, fields


@dataclass
class FetchStats:
    """Totals since the client was made; ``add`` may be called from any thread.

    ``requests`` counts HTTP attempts; ``retries`` the attempts (and block
    refetches) made after a failure; ``timeouts`` the attempts that ended
    because the remote did not answer in time (each also counts as a retry
    when it is repeated); ``failures`` the calls that ended in an
    error, "not found" answers included; ``bytes`` the response bodies
    received; ``rejected_blocks`` the blocks that failed verification.
    """

    requests: int = 0
    retries: int = 0
    timeouts: int = 0
    failures: int = 0
    bytes: int = 0
    rejected_blocks: int = 0
    _lock: threading.Lock = field(
        default_factory=threading.Lock, init=False, repr=False, compare=False
    )

    def add(self, **counts: int) -> None:
        with self._lock:
            for name, value in counts.items():
                setattr(self, name, getattr(self, name) + value)

    def snapshot(self) -> dict[str, int]:
        """A consistent copy of every counter (for logs and tests)."""
        with self._lock:
            return {f.name: getattr(self, f.name) for f in fields(self) if f.name != "_lock"}
