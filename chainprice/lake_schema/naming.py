"""Object names of the lake: built from what they hold, read back from a listing.

Names are deterministic (the same block, day or run always gets the same
name), so a re-run overwrites or skips an object instead of adding a
duplicate, and a listing alone tells which heights a day already holds.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Literal

from chainprice.lake_schema.errors import LakeNameError

PER_BLOCK_TABLES = ("blocks", "outputs", "txids")
STAGING = "staging/"
"""Prefix of objects that may still change (unfinished days, pending prices): globs of the
table folders never see them; the manifest lists them on top of the published objects."""
STAMP_FORMAT = "%Y%m%dT%H%M%SZ"
HASH_PREFIX_LEN = 16
DIGEST_LEN = 16

ObjectKind = Literal[
    "block",
    "compacted",
    "day_price",
    "recent_price",
    "recent_day",
    "mempool_price",
    "intraday",
    "exchange",
    "run",
    "histogram",
    "month_prices",
]

_DATE = r"(?P<date>\d{4}-\d{2}-\d{2})"
_VERSION = re.compile(r"(?P<stem>.*)\.v(?P<version>[0-9a-f]{16})\.parquet")
_STAMP = r"(?P<stamp>\d{8}T\d{6}Z)"
_LABEL = r"[A-Za-z0-9][A-Za-z0-9._-]*"
_NUMBER = r"0|[1-9]\d{0,8}"  # as the builders write heights: no leading zeros
_RUN_OR_DAY = rf"(?:at-{_STAMP}|day-(?P<digest>[0-9a-f]{{{DIGEST_LEN}}}))"
"""One run's rows (its time), or a finished day's merged rows (their digest)."""
_PATTERNS: dict[ObjectKind, re.Pattern[str]] = {
    kind: re.compile(pattern)
    for kind, pattern in {
        "block": rf"(?P<table>blocks|outputs|txids)/date={_DATE}/"
        rf"(?P<first>\d{{9}})-(?P<hash>[0-9a-f]{{{HASH_PREFIX_LEN}}})\.parquet",
        "compacted": rf"(?P<table>blocks|outputs|txids)/date={_DATE}/"
        rf"day-(?P<first>{_NUMBER})-(?P<last>{_NUMBER})-"
        rf"(?P<digest>[0-9a-f]{{{DIGEST_LEN}}})\.parquet",
        "day_price": rf"(?P<table>prices)/kind=day/date={_DATE}/price\.parquet",
        "recent_price": rf"(?P<table>prices)/kind=recent/date={_DATE}/"
        rf"tip-(?P<first>\d{{9}})\.parquet",
        "recent_day": rf"(?P<table>prices)/kind=recent/date={_DATE}/tips\.parquet",
        "mempool_price": rf"(?P<table>prices)/kind=mempool/date={_DATE}/{_RUN_OR_DAY}\.parquet",
        "intraday": rf"(?P<table>intraday)/date={_DATE}/points\.parquet",
        "exchange": rf"(?P<table>exchange_prices)/date={_DATE}/(?P<source>{_LABEL})\.parquet",
        "run": rf"(?P<table>runs)/date={_DATE}/{_STAMP}-(?P<run_id>{_LABEL})\.parquet",
    }.items()
}


@dataclass(frozen=True)
class LakeObject:
    """What an object name says about its content.

    ``first_height``/``last_height`` are the block's height for a per-block
    object, the range of a compacted one and the tip of a recent price.
    """

    name: str
    kind: ObjectKind
    table: str
    date: dt.date | None
    """The object's UTC date partition (None for the unpartitioned mempool state)."""
    partitions: dict[str, str] = field(compare=False)
    first_height: int | None = None
    last_height: int | None = None
    hash_prefix: str | None = None
    digest: str | None = None
    source: str | None = None
    run_id: str | None = None
    stamp: dt.datetime | None = None
    staged: bool = False
    """Under ``staging/``: listed by the manifest but invisible to globs of the table folders."""
    version: str | None = None
    """Content digest of a staged object that a later run may replace by another version."""
    month: str | None = None
    """``YYYY-MM`` of an object holding a whole month's rows (their ``date`` is a column)."""


def _utc(at: dt.datetime) -> dt.datetime:
    if at.tzinfo is None:
        raise LakeNameError(f"time {at.isoformat()} has no time zone (give it in UTC)")
    return at.astimezone(dt.UTC)


def _stamp(at: dt.datetime) -> str:
    return _utc(at).strftime(STAMP_FORMAT)


def _label(value: str, what: str) -> str:
    if not re.fullmatch(_LABEL, value):
        raise LakeNameError(
            f"{what} {value!r} cannot be part of an object name "
            "(letters, digits, '.', '_' and '-' only, starting with a letter or digit)"
        )
    return value


def _height(height: int) -> str:
    if not 0 <= height <= 999_999_999:
        raise LakeNameError(f"block height {height} is out of range")
    return f"{height:09d}"


def partition_prefix(table: str, day: dt.date, kind: str | None = None) -> str:
    """The folder of one partition, e.g. ``outputs/date=2024-01-01/`` (for listing a day)."""
    kind_part = "" if kind is None else f"kind={kind}/"
    return f"{table}/{kind_part}date={day.isoformat()}/"


def block_object(table: str, day: dt.date, height: int, block_hash: str) -> str:
    """Name of one block's rows in ``blocks``, ``outputs`` or ``txids``."""
    if table not in PER_BLOCK_TABLES:
        raise LakeNameError(f"table {table!r} has no per-block objects ({PER_BLOCK_TABLES})")
    if not re.fullmatch(r"[0-9a-fA-F]{64}", block_hash):
        raise LakeNameError(f"block hash {block_hash!r} is not 64 hex digits")
    prefix = block_hash[:HASH_PREFIX_LEN].lower()
    return f"{partition_prefix(table, day)}{_height(height)}-{prefix}.parquet"


def compacted_object(table: str, day: dt.date, members: Iterable[str]) -> str:
    """Name of the object that replaces ``members`` (objects of one table and day).

    The digest covers the member names, so compacting a different set of
    objects (a reorganised block, a late block) never reuses a name.
    """
    parsed = [parse_object(m) for m in members]
    if not parsed:
        raise LakeNameError(f"nothing to compact in {partition_prefix(table, day)}")
    for obj in parsed:
        if obj.kind not in ("block", "compacted") or obj.table != table or obj.date != day:
            raise LakeNameError(
                f"{obj.name} is not a block object of {partition_prefix(table, day)}"
            )
    listing = "\n".join(sorted(obj.name.rsplit("/", 1)[1] for obj in parsed))
    digest = hashlib.sha256(listing.encode()).hexdigest()[:DIGEST_LEN]
    first = min(obj.first_height for obj in parsed if obj.first_height is not None)
    last = max(obj.last_height for obj in parsed if obj.last_height is not None)
    return f"{partition_prefix(table, day)}day-{first}-{last}-{digest}.parquet"


def day_price_object(day: dt.date) -> str:
    return f"{partition_prefix('prices', day, 'day')}price.parquet"


def recent_day_object(day: dt.date) -> str:
    """The published object holding every recent-window price computed on ``day``."""
    return f"{partition_prefix('prices', day, 'recent')}tips.parquet"


def recent_price_object(computed_at: dt.datetime, tip_height: int) -> str:
    day = _utc(computed_at).date()
    return f"{partition_prefix('prices', day, 'recent')}tip-{_height(tip_height)}.parquet"


def mempool_price_object(computed_at: dt.datetime) -> str:
    day = _utc(computed_at).date()
    return f"{partition_prefix('prices', day, 'mempool')}at-{_stamp(computed_at)}.parquet"


def mempool_day_object(day: dt.date, digest: str) -> str:
    """The merged mempool prices of a finished ``day``, named by their content's digest."""
    return f"{partition_prefix('prices', day, 'mempool')}day-{digest}.parquet"


def intraday_object(day: dt.date) -> str:
    return f"{partition_prefix('intraday', day)}points.parquet"


def exchange_object(day: dt.date, source: str) -> str:
    """Name of one day's exchange prices from ``source`` (the API's host)."""
    return f"{partition_prefix('exchange_prices', day)}{_label(source, 'source')}.parquet"


def run_object(started_at: dt.datetime, run_id: str) -> str:
    day = _utc(started_at).date()
    return f"{partition_prefix('runs', day)}{_stamp(started_at)}-{_label(run_id, 'run id')}.parquet"


def staged(name: str) -> str:
    """Where ``name`` (a published name) lives while it may still change."""
    return STAGING + name


def versioned(name: str, data: bytes) -> str:
    """``name`` marked with a digest of ``data``, so each version of a result has its own
    object and no object is ever overwritten with other content."""
    digest = hashlib.sha256(data).hexdigest()[:DIGEST_LEN]
    return f"{name.removesuffix('.parquet')}.v{digest}.parquet"


def parse_object(name: str) -> LakeObject:
    """Read back what a lake object name holds; a clear error for any other name."""
    plain = name.removeprefix(STAGING)
    version = None
    marked = _VERSION.fullmatch(plain)
    if marked and name.startswith(STAGING):
        plain, version = f"{marked['stem']}.parquet", marked["version"]
    for kind, pattern in _PATTERNS.items():
        match = pattern.fullmatch(plain)
        if match:
            return _lake_object(name, plain, kind, match, version)
    raise LakeNameError(f"{name!r} is not the name of a lake object")


def _lake_object(
    name: str, plain: str, kind: ObjectKind, match: re.Match[str], version: str | None
) -> LakeObject:
    """``plain``: ``name`` without its staging prefix and version mark."""
    groups = match.groupdict()
    try:
        day = dt.date.fromisoformat(groups["date"]) if groups.get("date") else None
        stamp = (
            dt.datetime.strptime(groups["stamp"], STAMP_FORMAT).replace(tzinfo=dt.UTC)
            if groups.get("stamp")
            else None
        )
    except ValueError as exc:
        raise LakeNameError(f"{name!r} holds an impossible date or time ({exc})") from None
    if stamp is not None and day is not None and stamp.date() != day:
        raise LakeNameError(f"{name!r}: time {groups['stamp']} is not on {day}")
    first = int(groups["first"]) if groups.get("first") else None
    last = int(groups["last"]) if groups.get("last") else first
    if first is not None and last is not None and last < first:
        raise LakeNameError(f"{name!r}: last height {last} is below first height {first}")
    partitions = dict(part.split("=", 1) for part in plain.split("/")[1:-1])
    month = groups.get("month")
    if month is not None and not 1 <= int(month[5:]) <= 12:
        raise LakeNameError(f"{name!r} holds an impossible month {month}")
    return LakeObject(
        name=name,
        kind=kind,
        table=groups["table"],
        date=day,
        partitions=partitions,
        first_height=first,
        last_height=last,
        hash_prefix=groups.get("hash"),
        digest=groups.get("digest"),
        source=groups.get("source"),
        run_id=groups.get("run_id"),
        stamp=stamp,
        staged=name.startswith(STAGING),
        version=version,
        month=month,
    )


def month_prices_object(month: str, members: Iterable[str]) -> str:
    """Name of the object holding the day prices of ``month`` (``YYYY-MM``) that were
    ``members`` (published day objects, or an earlier month object and late days).

    The digest covers the member names, so merging another set of objects (a day
    backfilled into a month already merged) never reuses a name.
    """
    listing = "\n".join(sorted(members))
    digest = hashlib.sha256(listing.encode()).hexdigest()[:DIGEST_LEN]
    return f"prices/kind=day/month={month}/days-{digest}.parquet"


def histogram_object(day: dt.date) -> str:
    return f"{partition_prefix('histograms', day)}fit.parquet"


_PATTERNS["histogram"] = re.compile(rf"(?P<table>histograms)/date={_DATE}/fit\.parquet")
_PATTERNS["month_prices"] = re.compile(
    rf"(?P<table>prices)/kind=day/month=(?P<month>\d{{4}}-\d{{2}})/"
    rf"days-(?P<digest>[0-9a-f]{{{DIGEST_LEN}}})\.parquet"
)

MempoolObjectKind = Literal["mempool_run", "mempool_points", "mempool_state"]
MEMPOOL_STATE_OBJECT = "mempool_state/state.parquet"

_PATTERNS.update(
    {
        "mempool_run": re.compile(rf"(?P<table>mempool_runs)/date={_DATE}/{_RUN_OR_DAY}\.parquet"),
        "mempool_points": re.compile(
            rf"(?P<table>mempool_points)/date={_DATE}/at-{_STAMP}\.parquet"
        ),
        "mempool_state": re.compile(r"(?P<table>mempool_state)/state\.parquet"),
    }
)


def mempool_run_object(computed_at: dt.datetime) -> str:
    day = _utc(computed_at).date()
    return f"{partition_prefix('mempool_runs', day)}at-{_stamp(computed_at)}.parquet"


def mempool_runs_day_object(day: dt.date, digest: str) -> str:
    """The merged ``mempool_runs`` rows of a finished ``day``, named by their content's digest."""
    return f"{partition_prefix('mempool_runs', day)}day-{digest}.parquet"


def mempool_points_object(computed_at: dt.datetime) -> str:
    day = _utc(computed_at).date()
    return f"{partition_prefix('mempool_points', day)}at-{_stamp(computed_at)}.parquet"
