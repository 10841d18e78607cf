"""A job's log: one JSON object per line for machines, or readable lines for a person.

In JSON, ``severity`` and ``message`` are Cloud Logging's own fields; the
rest (job, run id, heights, timings) land in ``jsonPayload`` where a log
query or a log-based metric can use them, and journald keeps the same line.
The format is chosen from where the job runs (``pick_format``): JSON under
systemd, in the cloud or into a pipe, text on a terminal; an operator can
force either. Secret values the settings hold are scrubbed from every line
as a second line of defence: no code path should put one there in the first
place.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import os
import sys
from collections.abc import Iterable, Mapping
from typing import Any, TextIO

REDACTED = "[redacted]"
LOG_FORMATS = ("json", "text")
MANAGED_MARKERS = ("JOURNAL_STREAM", "INVOCATION_ID", "K_SERVICE", "FUNCTION_TARGET")
"""Set by systemd (the journal, a unit's invocation) and by Cloud Run / functions-framework."""
_FIXED = ("severity", "message", "time", "job", "run_id")


def is_managed(env: Mapping[str, str] | None = None) -> bool:
    """Whether a service manager or the cloud runs this process (its output is collected)."""
    env = os.environ if env is None else env
    return any(env.get(name) for name in MANAGED_MARKERS)


def pick_format(requested: str | None, stream: TextIO) -> str:
    """``requested`` (json or text) when given; else JSON unless a person reads ``stream``."""
    if requested in LOG_FORMATS:
        return requested
    isatty = getattr(stream, "isatty", None)
    return "text" if not is_managed() and isatty is not None and isatty() else "json"


def _shown(value: Any) -> str:
    if isinstance(value, list | tuple):
        return ",".join(map(str, value)) or "-"
    return str(value)


def text_line(entry: Mapping[str, Any]) -> str:
    """``HH:MM:SS SEVERITY job: message  (key=value ...)``, the UTC time of the JSON line."""
    extra = " ".join(f"{k}={_shown(v)}" for k, v in entry.items() if k not in _FIXED)
    head = f"{entry['time'][11:19]} {entry['severity']:<7} {entry['job']}: {entry['message']}"
    return head + (f"  ({extra})" if extra else "")


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
        fmt: str | None = None,
    ) -> None:
        """``quiet``: write nothing (the CLI reports in its own words); ``fmt``: json or text,
        None to choose from where the job runs."""
        self.job, self.run_id, self.quiet = job, run_id, quiet
        self.secrets = sorted({s for s in secrets if s}, key=len, reverse=True)
        self.stream = stream
        self.format = pick_format(fmt, stream or sys.stdout)

    def scrub(self, text: str) -> str:
        """``text`` with every secret the settings hold replaced."""
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
        if self.format == "text":
            text = self.scrub(text_line(entry))
        else:
            text = self.scrub(json.dumps(entry, default=str, separators=(",", ":")))
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
