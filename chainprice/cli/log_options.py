"""``--log-format``: the CLI's own words for a person, or the job's log lines for a journal.

On a terminal (or into a pipe) a job command prints its summary; under
systemd or in the cloud it writes the job's log instead, one JSON object per
line, the same lines the cloud functions write. ``json`` or ``text`` (the
job's lines, readable) forces the job's log wherever the command runs.
"""

from __future__ import annotations

import argparse

from chainprice.cli.node_options import env_default

CHOICES = ("auto", "json", "text")
VARIABLE = "CHAINPRICE_LOG_FORMAT"


def _log_format(value: str) -> str:
    if value not in CHOICES:
        raise argparse.ArgumentTypeError(
            f"must be auto, json or text, not {value!r} (--log-format, ${VARIABLE})"
        )
    return value


def add_log_format_argument(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--log-format",
        type=_log_format,
        default=env_default(VARIABLE) or "auto",
        metavar="{auto,json,text}",
        help="auto (default, $CHAINPRICE_LOG_FORMAT): this command's summary, or the job's JSON "
        "lines under systemd or in the cloud; json or text: the job's log lines",
    )


def job_log_format(args: argparse.Namespace) -> str | None:
    """The job's log format to write, or None when the command reports in its own words."""
    from chainprice.jobs.logs import is_managed

    if args.log_format != "auto":
        return args.log_format
    return "json" if is_managed() else None
