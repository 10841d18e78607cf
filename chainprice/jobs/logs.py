"""One JSON object per line, in the shape Cloud Logging reads from a function's output.

``severity`` and ``message`` are Cloud Logging's own fields; the rest (job,
run id, heights, timings) land in ``jsonPayload`` where a log query or a
log-based metric can use them. Secret values the settings hold are scrubbed
from every line as a second line of defence: no code path should put one
there in the first place.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import sys
from collections.abc import Iterable
from typing import Any, TextIO

REDACTED = "[redacted]"


class JobLog:
    """The log of one run: every line carries the job and the run id."""

    def __init__(
        self,
        job: str,
        run_id: str,
        *,
        secrets: Iterable[str] = (),
        stream: TextIO | None = None,
        quiet: bool = False,
    ) -> None:
        """``quiet``: write nothing (the CLI reports in its own words)."""
        self.job, self.run_id, self.quiet = job, run_id, quiet
        self.secrets = sorted({s for s in secrets if s}, key=len, reverse=True)
        self.stream = stream

    def _scrub(self, text: str) -> str:
        for secret in self.secrets:
            text = text.replace(secret, REDACTED)
        return text

    def line(self, severity: str, message: str, **fields: Any) -> None:
        if self.quiet:
            return
        entry = {
            "severity": severity,
            "message": message,
            "time": dt.datetime.now(dt.UTC).isoformat(timespec="milliseconds"),
            "job": self.job,
            "run_id": self.run_id,
            **{k: v for k, v in fields.items() if v is not None},
        }
        text = self._scrub(json.dumps(entry, default=str, separators=(",", ":")))
        stream = self.stream or sys.stdout
        stream.write(text + "\n")
        stream.flush()

    def info(self, message: str, **fields: Any) -> None:
        self.line("INFO", message, **fields)

    def warning(self, message: str, **fields: Any) -> None:
        self.line("WARNING", message, **fields)

    def error(self, message: str, **fields: Any) -> None:
        self.line("ERROR", message, **fields)


class ForwardToJobLog(logging.Handler):
    """Lines the lake and adapters log (``logging.getLogger("chainprice")``) during a run, as
    the run's own JSON lines."""

    def __init__(self, log: JobLog) -> None:
        super().__init__(logging.INFO)
        self.log = log

    def emit(self, record: logging.LogRecord) -> None:
        self.log.line(record.levelname, record.getMessage(), logger=record.name)
