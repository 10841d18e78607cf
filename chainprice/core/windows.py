"""docs/METHOD.md section 1: which blocks make a window.

All rules read header times through ``HeaderSource``, so the same code runs
against a node, the lake's block index or a test's list of times.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Protocol

from chainprice.core.errors import WindowError, WindowNotSettledError

BLOCKS_PER_DAY = 144
SECONDS_PER_DAY = 86400
TIP_MARGIN = 6  # the reference prices days up to the one before block tip - 6
FIRST_DATE = dt.date(2023, 12, 15)  # the method was not tested on earlier days
RECENT_BLOCKS = 144
MTP_SPAN = 11  # a block's time exceeds the median of the 11 before it
SPEND_LOOKBACK = 288
"""Blocks the lake looks back for funding transactions: two days, longer than any window."""
MAX_LAKE_WINDOW = SPEND_LOOKBACK + 1
"""Longest window the lake prices exactly: its last block looks back to its first."""


class HeaderSource(Protocol):
    """The two facts about headers that window rules need."""

    def block_count(self) -> int:
        """Height of the best block (the node's ``getblockcount``)."""
        ...

    def header_time(self, height: int) -> int:
        """Header timestamp (``time``, not median time past) of the block at ``height``."""
        ...


@dataclass(frozen=True)
class Window:
    """Heights ``[start, end)`` and the tip they were chosen against."""

    start: int
    end: int
    tip: int
    search_path: tuple[int, ...] = field(default=(), compare=False)

    @property
    def n_blocks(self) -> int:
        return self.end - self.start


def midnight(day: dt.date) -> int:
    """Unix time of 00:00:00 UTC on ``day``."""
    return int(dt.datetime(day.year, day.month, day.day, tzinfo=dt.UTC).timestamp())


def utc_date(unix_time: int) -> dt.date:
    return dt.datetime.fromtimestamp(unix_time, dt.UTC).date()


def utc_iso(unix_time: int) -> str:
    return dt.datetime.fromtimestamp(unix_time, dt.UTC).strftime("%Y-%m-%d %H:%M:%S UTC")


class _Recorder:
    """Reads header times in order and remembers which heights it asked for."""

    def __init__(self, source: HeaderSource, tip: int) -> None:
        self.source = source
        self.tip = tip
        self.path: list[int] = []

    def time(self, height: int) -> int:
        if not 0 <= height <= self.tip:
            raise WindowError(
                f"the day walk left the chain: height {height} is outside 0..{self.tip}"
            )
        self.path.append(height)
        return self.source.header_time(height)


def latest_day(source: HeaderSource) -> dt.date:
    """The latest date the reference rule allows: the day before block ``tip - 6``'s date."""
    tip = source.block_count()
    return utc_date(_Recorder(source, tip).time(tip - TIP_MARGIN)) - dt.timedelta(days=1)


def check_day(day: dt.date, tip: int, t_ref: int) -> None:
    """Refuse dates before 2023-12-15 or not yet closed at block ``tip - 6``."""
    if day < FIRST_DATE:
        raise WindowError(f"{day} is before {FIRST_DATE}, the first date the method supports")
    if midnight(day) >= midnight(utc_date(t_ref)):
        last = utc_date(t_ref) - dt.timedelta(days=1)
        raise WindowError(
            f"{day} is not over yet at block {tip - TIP_MARGIN} (tip {tip}): latest date is {last}"
        )


def day_window(source: HeaderSource, day: dt.date) -> Window:
    """The reference's window for ``day``: estimate, walk, then scan (section 1, steps 1-4).

    The result depends on ``tip`` when block times are out of order near a
    midnight; ``search_path`` records every height whose time was read.
    """
    tip = source.block_count()
    rec = _Recorder(source, tip)
    t_ref = rec.time(tip - TIP_MARGIN)
    check_day(day, tip, t_ref)
    m = midnight(day)

    est = (tip - TIP_MARGIN) - round(BLOCKS_PER_DAY * (t_ref - m) / SECONDS_PER_DAY)
    jumps: list[int] = []
    while True:
        jump = round(BLOCKS_PER_DAY * (rec.time(est) - m) / SECONDS_PER_DAY)
        if jump <= TIP_MARGIN or (len(jumps) >= 2 and jump == jumps[-2]):
            break
        jumps.append(jump)
        est -= jump

    t_est = rec.time(est)
    if t_est > m:
        h = est
        while rec.time(h) > m:
            h -= 1
        start = h + 1
    elif t_est < m:
        h = est
        while rec.time(h) < m:
            h += 1
        start = h
    else:
        start = est

    first_day = utc_date(rec.time(start)).day
    end = start + 1
    while utc_date(rec.time(end)).day == first_day:
        end += 1
    return Window(start, end, tip, tuple(rec.path))


def _first_at_or_after(rec: _Recorder, m: int, guess: int) -> int:
    """1 + the highest height stamped before ``m``; settled by 11 later blocks all at or after it.

    Once 11 consecutive blocks are stamped at or after ``m``, their median is
    too, so consensus forces every later block after ``m``.
    """
    h = min(max(guess, 0), rec.tip)
    while rec.time(h) >= m:
        h -= 1
    last_before = h
    run = 0
    while run < MTP_SPAN:
        h += 1
        if h > rec.tip:
            raise WindowNotSettledError(
                f"the first block stamped at or after {utc_iso(m)} is not settled yet at tip "
                f"{rec.tip}: {MTP_SPAN} blocks in a row stamped after it are needed"
            )
        if rec.time(h) < m:
            last_before = h
            run = 0
        else:
            run += 1
    return last_before + 1


def canonical_day_window(source: HeaderSource, day: dt.date) -> Window:
    """Our day window: every block stamped in ``[midnight(day), midnight(day + 1))``'s run.

    ``start(D)`` is one past the highest height stamped before midnight, and
    ``end(D) = start(D + 1)``: every block belongs to exactly one day, and the
    window does not depend on the tip.
    """
    tip = source.block_count()
    rec = _Recorder(source, tip)
    t_ref = rec.time(tip - TIP_MARGIN)
    check_day(day, tip, t_ref)
    m0 = midnight(day)
    m1 = midnight(day + dt.timedelta(days=1))
    guess = (tip - TIP_MARGIN) - round(BLOCKS_PER_DAY * (t_ref - m0) / SECONDS_PER_DAY)
    start = _first_at_or_after(rec, m0, guess)
    end = _first_at_or_after(rec, m1, start + BLOCKS_PER_DAY)
    return Window(start, end, tip, tuple(rec.path))


def block_window(tip: int, n_blocks: int = RECENT_BLOCKS) -> Window:
    """The latest ``n_blocks`` (144) blocks below the tip: ``[tip - n, tip)``, tip excluded."""
    if n_blocks < 1:
        raise WindowError(f"a block window needs at least 1 block, not {n_blocks}")
    if tip < n_blocks:
        raise WindowError(f"the chain has {tip} blocks below the tip; {n_blocks} are needed")
    return Window(tip - n_blocks, tip, tip)
