"""Window rules of docs/METHOD.md section 1, against header times held in the test.

Expected windows come from the spec read literally (``spec_walk``) or from a
brute-force scan of every header time, never from the code under test. The
spec walk is itself checked against the reference's recorded runs on the
golden chains, so a disagreement points at ``core.windows``.
"""

from __future__ import annotations

import calendar
import datetime as dt
import itertools
import json
import random
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from chainprice.core.errors import WindowError
from chainprice.core.windows import (
    FIRST_DATE,
    Window,
    block_window,
    canonical_day_window,
    day_window,
    latest_day,
    midnight,
)

GOLDEN = Path(__file__).parent / "data" / "golden"
BASE = 800_000
DAY = 86_400
SPACING_BELOW = 600  # header times below a test chain's first stored height


# --- a header source and chains that obey consensus timestamp rules ----------------------


class Headers:
    """Header times of heights ``base..tip``; below ``base`` the chain goes on at 600 s.

    Heights ``0..base-1`` exist (as on a real node) so that only a walk below 0 or
    above the tip leaves the chain.
    """

    def __init__(self, base: int, times: Sequence[int], tip: int | None = None) -> None:
        self.base = base
        self.times = list(times)
        self.tip = base + len(self.times) - 1 if tip is None else tip
        assert base <= self.tip < base + len(self.times)

    def block_count(self) -> int:
        return self.tip

    def header_time(self, height: int) -> int:
        if not 0 <= height <= self.tip:
            raise LookupError(f"no block at height {height}")  # a node's RPC error
        if height < self.base:
            return self.times[0] - SPACING_BELOW * (self.base - height)
        return self.times[height - self.base]

    def at_tip(self, tip: int) -> Headers:
        """The same chain as a node would have seen it when ``tip`` was the best block."""
        return Headers(self.base, self.times, tip)

    def height_of(self, unix_time: int) -> int:
        """Height of the one block stamped ``unix_time`` (for hand-built chains)."""
        (i,) = [i for i, t in enumerate(self.times) if t == unix_time]
        return self.base + i


def midnight_of(day: dt.date) -> int:
    """00:00:00 UTC of ``day``, computed without core.windows."""
    return calendar.timegm(day.timetuple())


def median_time_past_ok(times: Sequence[int]) -> bool:
    """Bitcoin's rule: each time exceeds the median of the 11 before it."""
    return all(times[i] > sorted(times[i - 11 : i])[5] for i in range(11, len(times)))


def steady(first: int, gap: int, until: int) -> list[int]:
    """Times ``first, first + gap, ...`` below ``until``."""
    return list(range(first, until, gap))


def random_chain(
    seed: int,
    start: int,
    n: int,
    *,
    gap: float = 600.0,
    back_rate: float = 0.04,
    quiet: Sequence[int] = (),
) -> list[int]:
    """Mainnet-like times: exponential gaps, some blocks stamped up to an hour before
    their parent (never below the median of the 11 before), none exactly at midnight.
    No back-stamps within 3 hours of the ``quiet`` instants, so times are in order there."""
    rng = random.Random(seed)
    clock = start
    times: list[int] = []
    for _ in range(n):
        clock += max(1, round(rng.expovariate(1 / gap)))
        t = clock
        if rng.random() < back_rate and all(abs(clock - q) > 3 * 3600 for q in quiet):
            t = clock - rng.randint(1, 3600)
        if len(times) >= 11:
            t = max(t, sorted(times[-11:])[5] + 1)
        if t % DAY == 0:
            t += 1
        times.append(t)
    assert median_time_past_ok(times)
    return times


# --- the spec, read literally, and brute force -------------------------------------------


class OffChain(Exception):
    """The literal walk asked for a height outside 0..tip."""


class Refused(Exception):
    """The literal rule refuses the date."""


@dataclass(frozen=True)
class SpecWindow:
    start: int
    end: int
    side: str  # "above", "below" or "exact": where the estimate stood before the scan
    reads: tuple[int, ...]  # heights read, as the reference asks getblockhash for them


def spec_walk(time_at: Callable[[int], int], tip: int, day: dt.date) -> SpecWindow:
    """Section 1, steps 1-4, transcribed in the reference's own loop form."""
    reads: list[int] = []

    def time(h: int) -> int:
        if not 0 <= h <= tip:
            raise OffChain(h)
        reads.append(h)
        return time_at(h)

    m = midnight_of(day)
    t_ref = time(tip - 6)
    ref_day = dt.datetime.fromtimestamp(t_ref, dt.UTC).date()
    if day < dt.date(2023, 12, 15) or not m < midnight_of(ref_day):
        raise Refused(day)
    est = (tip - 6) - round(144 * float(t_ref - m) / float(DAY))
    t_est = time(est)
    jump = round(144 * float(t_est - m) / float(DAY))
    last = last_last = 0
    while jump > 6 and jump != last_last:
        last_last, last = last, jump
        est -= jump
        t_est = time(est)
        jump = round(144 * float(t_est - m) / float(DAY))
    if t_est > m:
        side, h = "above", est
        while time(h) > m:
            h -= 1
        start = h + 1
    elif t_est < m:
        side, h = "below", est
        while time(h) < m:
            h += 1
        start = h
    else:
        side, start = "exact", est
    day_of_month = dt.datetime.fromtimestamp(time(start), dt.UTC).day
    end = start + 1
    while dt.datetime.fromtimestamp(time(end), dt.UTC).day == day_of_month:
        end += 1
    return SpecWindow(start, end, side, tuple(reads))


def spec_for(src: Headers, day: dt.date) -> SpecWindow:
    """The literal walk on a test chain."""
    return spec_walk(src.header_time, src.tip, day)


def first_at_or_after(times: Sequence[int], base: int, m: int) -> int:
    """Brute force: 1 + the highest height stamped before ``m`` (over every time given)."""
    return base + 1 + max(i for i, t in enumerate(times) if t < m)


def brute_canonical(times: Sequence[int], base: int, day: dt.date) -> tuple[int, int]:
    """Canonical ``[start, end)`` by scanning every time."""
    m0 = midnight_of(day)
    return first_at_or_after(times, base, m0), first_at_or_after(times, base, m0 + DAY)


def brute_in_order_reference(times: Sequence[int], base: int, day: dt.date) -> tuple[int, int]:
    """What the reference walk must give when times near midnight are in order: the first
    block at or after midnight, up to the first block on another day of the month."""
    m = midnight_of(day)
    start = base + next(i for i, t in enumerate(times) if t >= m)
    dom = dt.datetime.fromtimestamp(times[start - base], dt.UTC).day
    end = start + 1
    while dt.datetime.fromtimestamp(times[end - base], dt.UTC).day == dom:
        end += 1
    return start, end


def in_order_at(times: Sequence[int], m: int) -> bool:
    """Every block stamped before ``m`` is lower than every block stamped at or after it."""
    before = [t < m for t in times]
    return before == sorted(before, reverse=True)


def dedup(seq: Sequence[int]) -> list[int]:
    """Drop consecutive repeats (re-reads of the same height)."""
    return [h for i, h in enumerate(seq) if i == 0 or seq[i - 1] != h]


def span(w: Window | SpecWindow) -> tuple[int, int]:
    """``(start, end)`` of any window."""
    return w.start, w.end


# --- hand-built chains around one midnight -------------------------------------------------

D = dt.date(2024, 6, 10)
M = midnight_of(D)


def chain_around_midnight(middle: Sequence[int], after_gap: int) -> Headers:
    """600 s blocks from 30 h before ``M`` (offset so none hits a midnight), the given
    ``middle`` times, then blocks every ``after_gap`` seconds up to 30 h after ``M``.
    Fast blocks after midnight put the estimate above the day's first block, slow ones
    below it."""
    before = steady(M - 30 * 3600 + 37, 600, M - 250)
    after = steady(max(middle, default=M) + after_gap, after_gap, M + 30 * 3600)
    times = [*before, *middle, *after]
    assert median_time_past_ok(times)
    return Headers(BASE, times)


FAST, SLOW = 450, 800


@pytest.mark.parametrize(("after_gap", "side"), [(FAST, "above"), (SLOW, "below")])
def test_reference_walk_from_each_side(after_gap: int, side: str) -> None:
    """Both approaches land on the first block of the day when times are in order."""
    src = chain_around_midnight([M + 211], after_gap)
    spec = spec_for(src, D)
    assert spec.side == side
    w = day_window(src, D)
    assert span(w) == span(spec) == brute_in_order_reference(src.times, BASE, D)
    assert w.start == src.height_of(M + 211)
    assert src.header_time(w.start - 1) < M <= src.header_time(w.start)
    assert src.header_time(w.end - 1) < M + DAY <= src.header_time(w.end)
    assert w.tip == src.tip
    assert w.search_path[0] == src.tip - 6
    assert dedup(w.search_path) == dedup(spec.reads)


@pytest.mark.parametrize(("after_gap", "included"), [(FAST, False), (SLOW, True)])
def test_block_stamped_exactly_midnight(after_gap: int, included: bool) -> None:
    """00:00:00 is excluded from above and included from below; from above it then
    belongs to no day at all, while the canonical window gives it to its day."""
    src = chain_around_midnight([M, M + 211], after_gap)
    h0 = src.height_of(M)
    spec = spec_for(src, D)
    assert spec.side == ("below" if included else "above")
    w = day_window(src, D)
    assert w.start == (h0 if included else h0 + 1) == spec.start
    assert w.end == spec.end
    previous = day_window(src, D - dt.timedelta(days=1))
    assert previous.end == h0  # the day before always stops at it
    assert (previous.end == w.start) is included  # from above, a one-block gap
    canon = canonical_day_window(src, D)
    assert canon.start == h0
    assert canonical_day_window(src, D - dt.timedelta(days=1)).end == h0


def test_one_block_day() -> None:
    """The block after the day's first block is stamped 23:59:00: the walk (from below)
    stops at the change of day-of-month after one block, as the spec says it must."""
    first, early, later = M + 120, M - 60, M + 700
    src = chain_around_midnight([first, early, later], SLOW)
    h_first = src.height_of(first)
    assert src.height_of(early) == h_first + 1
    spec = spec_for(src, D)
    assert spec.side == "below"
    w = day_window(src, D)
    assert span(w) == span(spec) == (h_first, h_first + 1)
    assert w.n_blocks == 1
    canon = canonical_day_window(src, D)
    assert canon.start == h_first + 2  # 1 + the highest height stamped before midnight
    assert span(canon) == brute_canonical(src.times, BASE, D)


def test_walk_stops_when_a_jump_repeats_the_one_two_iterations_back() -> None:
    """Jumps 20, 10, 20: the third equals the first, so the estimate stops there instead
    of jumping again. Hand-placed times (not consensus-valid) make the oscillation."""
    tip = BASE + 400
    t_ref = M + DAY + 3600
    est0 = (tip - 6) - round(144 * (t_ref - M) / DAY)
    pinned = {tip - 6: t_ref, est0: M + 20 * 600, est0 - 20: M + 10 * 600, est0 - 30: M + 20 * 600}

    def time_at(h: int) -> int:
        return pinned.get(h, M + (h - (est0 - 40)) * 600 + 1)

    times = [time_at(h) for h in range(BASE, tip + 1)]
    src = Headers(BASE, times)
    spec = spec_for(src, D)
    w = day_window(src, D)
    assert span(w) == span(spec)
    assert dedup(w.search_path)[:4] == [tip - 6, est0, est0 - 20, est0 - 30]
    assert est0 - 50 not in w.search_path  # a fourth jump would have read it
    assert w.start == est0 - 40  # first height stamped after midnight, from above


# --- refusals --------------------------------------------------------------------------------


def chain_over(first_day: dt.date, days: int, seed: int = 1) -> Headers:
    """A consensus-valid random chain from 5 h before ``first_day`` for ``days`` days."""
    start = midnight_of(first_day) - 5 * 3600
    return Headers(BASE, random_chain(seed, start, 144 * days + 60))


def test_dates_before_first_date_are_refused() -> None:
    """The method was not tested before 2023-12-15; that day itself is allowed."""
    src = chain_over(dt.date(2023, 12, 13), 5)
    assert dt.date(2023, 12, 15) == FIRST_DATE
    for fn in (day_window, canonical_day_window):
        with pytest.raises(WindowError, match="2023-12-14 is before 2023-12-15"):
            fn(src, dt.date(2023, 12, 14))
    w = day_window(src, FIRST_DATE)
    assert span(w) == span(spec_for(src, FIRST_DATE))
    assert span(canonical_day_window(src, FIRST_DATE)) == brute_canonical(
        src.times, BASE, FIRST_DATE
    )


def test_latest_day_and_dates_not_over_at_tip_minus_6() -> None:
    """The latest date is the day before block tip-6's date; a later one is refused with
    a message naming it, the tip, and the latest date allowed."""
    src = chain_over(dt.date(2024, 3, 1), 4)
    for tip in range(src.tip - 200, src.tip + 1, 7):
        at = src.at_tip(tip)
        t_ref = at.header_time(tip - 6)
        latest = dt.datetime.fromtimestamp(t_ref, dt.UTC).date() - dt.timedelta(days=1)
        assert latest_day(at) == latest
        assert span(day_window(at, latest)) == span(spec_for(at, latest))
        too_late = latest + dt.timedelta(days=1)
        for fn in (day_window, canonical_day_window):
            with pytest.raises(WindowError) as info:
                fn(at, too_late)
            msg = str(info.value)
            assert str(too_late) in msg and "not over" in msg
            assert f"block {tip - 6}" in msg and f"tip {tip}" in msg
            assert f"latest date is {latest}" in msg


@pytest.mark.parametrize("t_ref_offset", [-1, 0])
def test_day_closes_when_block_tip_minus_6_reaches_midnight(t_ref_offset: int) -> None:
    """Block tip-6 stamped 23:59:59 of D: D is not over. Stamped 00:00:00 of D+1: it is."""
    end_of_d = M + DAY
    times = [*steady(M - 6 * 3600 + 37, 600, end_of_d - 1000), end_of_d + t_ref_offset]
    times += steady(times[-1] + 600, 600, times[-1] + 600 * 7)
    src = Headers(BASE, times)
    assert src.header_time(src.tip - 6) == end_of_d + t_ref_offset
    if t_ref_offset < 0:
        with pytest.raises(WindowError, match="not over"):
            day_window(src, D)
        assert latest_day(src) == D - dt.timedelta(days=1)
    else:
        assert latest_day(src) == D
        assert span(day_window(src, D)) == span(spec_for(src, D))


def test_walk_below_height_zero_is_refused() -> None:
    """A chain whose block 0 is stamped after the day's midnight: the estimate is < 0."""
    base = 20
    first = midnight_of(D) + 8 * 3600
    src = Headers(base, steady(first, 600, first + 40 * 3600))
    assert src.header_time(0) > M
    with pytest.raises(OffChain):
        spec_for(src, D)
    with pytest.raises(WindowError, match="left the chain"):
        day_window(src, D)


def test_walk_above_the_tip_is_refused() -> None:
    """After 2024-01-05 the next block is stamped 2024-02-05 (same day of the month), so
    the end scan never sees another day before the tip; the walk must not guess."""
    day = dt.date(2024, 1, 5)
    m = midnight_of(day)
    month_later = midnight_of(dt.date(2024, 2, 5))
    times = steady(m - 20 * 3600 + 37, 600, m + DAY - 100) + steady(
        month_later + 300, 600, month_later + 5 * 3600
    )
    src = Headers(BASE, times)
    assert median_time_past_ok(times)
    with pytest.raises(OffChain):
        spec_for(src, day)
    with pytest.raises(WindowError, match=f"outside 0..{src.tip}"):
        day_window(src, day)


def test_canonical_window_refuses_an_unsettled_end() -> None:
    """Tip-6 just past the next midnight: D is over for the reference rule, but 11 blocks
    at or after that midnight are not there yet, so the end may still move."""
    times = [
        *steady(M - 6 * 3600 + 37, 600, M + DAY - 100),
        *steady(M + DAY + 10, 600, M + DAY + 7 * 600),
    ]
    src = Headers(BASE, times)
    assert latest_day(src) == D
    assert span(day_window(src, D)) == span(spec_for(src, D))
    with pytest.raises(WindowError, match="not settled"):
        canonical_day_window(src, D)


# --- block window ------------------------------------------------------------------------------


@pytest.mark.parametrize("tip", [144, 145, 1000, 885_429])
def test_block_window_is_the_144_blocks_below_the_tip(tip: int) -> None:
    """``[tip - 144, tip)``: the tip itself is excluded and no 6-block margin applies."""
    w = block_window(tip)
    assert (w.start, w.end, w.tip, w.n_blocks) == (tip - 144, tip, tip, 144)


@pytest.mark.parametrize("tip", [0, 1, 143])
def test_block_window_needs_144_blocks(tip: int) -> None:
    """Below 144 blocks there is no full window; refuse rather than return a short one."""
    with pytest.raises(WindowError, match="144"):
        block_window(tip)


# --- canonical window: brute force, tiling, independence of the tip ---------------------------


@settings(deadline=None, max_examples=300)
@given(seed=st.integers(0, 2**32 - 1), back_rate=st.sampled_from([0.02, 0.1, 0.3]))
def test_canonical_days_tile_the_chain(seed: int, back_rate: float) -> None:
    """Each block is in exactly one canonical day, and each day starts one past the
    highest height stamped before its midnight, even with many back-stamped blocks."""
    first = dt.date(2024, 9, 1)
    src = Headers(
        BASE, random_chain(seed, midnight_of(first) - 5 * 3600, 144 * 7, back_rate=back_rate)
    )
    days = [first + dt.timedelta(days=k) for k in range(5)]
    windows = [canonical_day_window(src, d) for d in days]
    for d, w in zip(days, windows, strict=True):
        assert span(w) == brute_canonical(src.times, BASE, d)
        assert all(src.header_time(h) >= midnight_of(d) for h in range(w.start, src.tip + 1))
        assert src.header_time(w.start - 1) < midnight_of(d)
    for a, b in itertools.pairwise(windows):
        assert a.end == b.start
    covered = [h for w in windows for h in range(w.start, w.end)]
    assert covered == list(range(windows[0].start, windows[-1].end))


@settings(deadline=None, max_examples=400)
@given(seed=st.integers(0, 2**32 - 1), pick=st.integers(0, 2**31 - 1))
def test_canonical_window_does_not_depend_on_the_tip(seed: int, pick: int) -> None:
    """At any tip it is the brute-force window of the whole chain, or a WindowError exactly
    when the day is not over at tip-6 or 11 blocks past its end midnight are missing."""
    first = dt.date(2024, 11, 20)
    full = Headers(BASE, random_chain(seed, midnight_of(first) - 5 * 3600, 144 * 4, back_rate=0.1))
    day = first + dt.timedelta(days=1)
    want = brute_canonical(full.times, BASE, day)
    tips = {full.tip, BASE + 200 + pick % (full.tip - BASE - 199)}
    for tip in tips:
        at = full.at_tip(tip)
        t_ref_day = dt.datetime.fromtimestamp(at.header_time(tip - 6), dt.UTC).date()
        seen = full.times[: tip - BASE + 1]
        last_before_end = max(
            (BASE + i for i, t in enumerate(seen) if t < midnight_of(day) + DAY), default=BASE
        )
        possible = day < t_ref_day and last_before_end + 11 <= tip
        if possible:
            w = canonical_day_window(at, day)
            assert (w.start, w.end, w.tip) == (*want, tip)
        else:
            with pytest.raises(WindowError):
                canonical_day_window(at, day)
    assert span(canonical_day_window(full, day)) == want


@settings(deadline=None, max_examples=400)
@given(seed=st.integers(0, 2**32 - 1), pick=st.integers(0, 2**31 - 1))
def test_canonical_equals_reference_when_midnights_are_in_order(seed: int, pick: int) -> None:
    """With no back-stamped block within 3 h of either midnight, both rules agree."""
    first = dt.date(2025, 1, 10)
    day = first + dt.timedelta(days=1)
    m0, m1 = midnight_of(day), midnight_of(day) + DAY
    times = random_chain(
        seed, midnight_of(first) - 5 * 3600, 144 * 4, back_rate=0.1, quiet=(m0, m1)
    )
    assert in_order_at(times, m0) and in_order_at(times, m1)
    full = Headers(BASE, times)
    want = brute_canonical(times, BASE, day)
    assert want == brute_in_order_reference(times, BASE, day)
    settled = first_at_or_after(times, BASE, m1) + 11 + 6  # canonical settled, day over
    tip = settled + pick % (full.tip - settled + 1)
    at = full.at_tip(tip)
    assert span(day_window(at, day)) == span(canonical_day_window(at, day)) == want


# --- the reference walk against the literal spec on random chains ---------------------------


@settings(deadline=None, max_examples=1000)
@given(
    seed=st.integers(0, 2**32 - 1),
    gap=st.sampled_from([420.0, 600.0, 780.0]),
    back_rate=st.sampled_from([0.02, 0.1, 0.3]),
    pick_day=st.integers(0, 3),
    pick_tip=st.integers(0, 2**31 - 1),
)
def test_day_window_follows_the_spec_walk(
    seed: int, gap: float, back_rate: float, pick_day: int, pick_tip: int
) -> None:
    """Same window and same heights read as the literal spec, whatever the block rate and
    disorder; refused (WindowError) exactly when the literal walk refuses or leaves."""
    first = dt.date(2024, 8, 1)
    n = round(6 * DAY / gap)
    full = Headers(
        BASE, random_chain(seed, midnight_of(first) - 3 * 3600, n, gap=gap, back_rate=back_rate)
    )
    tip = BASE + n // 2 + pick_tip % (n - n // 2)
    at = full.at_tip(tip)
    day = first + dt.timedelta(days=pick_day)
    try:
        spec = spec_for(at, day)
    except (Refused, OffChain):
        with pytest.raises(WindowError):
            day_window(at, day)
        return
    w = day_window(at, day)
    assert (w.start, w.end, w.tip) == (spec.start, spec.end, tip)
    assert dedup(w.search_path) == dedup(spec.reads)


# --- golden chains: the reference's own runs ----------------------------------------------


@cache
def golden_expected() -> dict:
    """The reference's results on the golden chains."""
    return json.loads((GOLDEN / "expected.json").read_text())


@cache
def golden_headers(chain: str) -> Headers:
    """A golden chain's header times from its index.json."""
    index = json.loads((GOLDEN / chain / "index.json").read_text())
    blocks = index["blocks"]
    assert [b["height"] for b in blocks] == list(range(index["start_height"], index["tip"] + 1))
    return Headers(index["start_height"], [b["time"] for b in blocks])


def golden_result(chain: str, mode: str) -> dict:
    """The one result of ``mode`` ("date" or "rb") on ``chain``."""
    (result,) = [r for r in golden_expected()["chains"][chain]["results"] if r["mode"] == mode]
    return result


CHAINS = ("g1_42k", "g2_97k", "g3_150k")


def test_golden_chains_respect_median_time_past() -> None:
    """The canonical window's settling argument needs it; the golden chains have it."""
    for chain in CHAINS:
        assert median_time_past_ok(golden_headers(chain).times)


@pytest.mark.parametrize("chain", CHAINS)
def test_day_window_matches_the_reference_on_golden_chains(chain: str) -> None:
    """Same window, and the same heights read in the same order (the reference reads some
    heights twice in a row where we read once, and vice versa: compare without repeats)."""
    src = golden_headers(chain)
    ref = golden_result(chain, "date")
    day = dt.date.fromisoformat(ref["date"])
    assert src.tip == ref["block_count"]
    assert src.header_time(src.tip - 6) == ref["t_ref"]
    w = day_window(src, day)
    assert (w.start, w.end, w.tip) == (ref["block_start"], ref["block_end"], ref["block_count"])
    ours, theirs = dedup(w.search_path), dedup(ref["rpc_getblockhash_sequence"])
    # Not only the search part (tip-6, the estimates, the scan to block_start): on all
    # three chains the whole sequence agrees, through the end scan up to block_end.
    assert theirs[0] == ref["block_count"] - 6 and theirs[-1] == ref["block_end"]
    assert ours == theirs
    spec = spec_for(src, day)
    assert (spec.start, spec.end, spec.side) == (w.start, w.end, ref["search_side"])
    assert dedup(spec.reads) == theirs


@pytest.mark.parametrize("chain", CHAINS)
def test_block_window_matches_the_reference_on_golden_chains(chain: str) -> None:
    """The reference's ``-rb`` runs read exactly these heights."""
    ref = golden_result(chain, "rb")
    w = block_window(golden_headers(chain).block_count())
    assert (w.start, w.end) == (ref["block_start"], ref["block_end"])


@pytest.mark.parametrize("chain", CHAINS)
def test_canonical_window_on_golden_chains(chain: str) -> None:
    """Equal to the reference's window where the two midnights are in order (g1, g3); on
    g2 the two blocks around the next midnight are out of order and both join the day."""
    src = golden_headers(chain)
    ref = golden_result(chain, "date")
    day = dt.date.fromisoformat(ref["date"])
    want = brute_canonical(src.times, src.base, day)
    canon = canonical_day_window(src, day)
    assert span(canon) == want
    m1 = midnight_of(day) + DAY
    if in_order_at(src.times, midnight_of(day)) and in_order_at(src.times, m1):
        assert chain != "g2_97k"
        assert want == (ref["block_start"], ref["block_end"])
    else:
        assert chain == "g2_97k"
        assert (ref["block_start"], ref["block_end"]) == (872559, 872692)
        assert want == (872559, 872694)
        assert src.header_time(872692) >= m1 > src.header_time(872693)


def test_canonical_window_on_g2_is_the_same_at_every_settled_tip() -> None:
    """From the first tip with 11 blocks past the out-of-order midnight, nothing moves."""
    src = golden_headers("g2_97k")
    day = dt.date(2024, 12, 5)
    assert first_at_or_after(src.times, src.base, midnight_of(day) + DAY) == 872694
    settled = 872693 + 11  # the last block stamped before the next midnight, plus 11
    assert all(src.header_time(h) >= midnight_of(day) + DAY for h in range(872694, settled + 1))
    for tip in range(settled, src.tip + 1):
        assert span(canonical_day_window(src.at_tip(tip), day)) == (872559, 872694)
    with pytest.raises(WindowError, match="not settled"):
        canonical_day_window(src.at_tip(settled - 1), day)


def test_midnight_is_utc() -> None:
    """Every rule above rests on midnight being 00:00:00 UTC."""
    for day in (FIRST_DATE, D, dt.date(2024, 2, 29), dt.date(2025, 3, 30)):
        assert midnight(day) == midnight_of(day)
