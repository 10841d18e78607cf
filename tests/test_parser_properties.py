"""Property tests of the block parser: bad bytes fail loudly, good bytes never change meaning.

Issue requirement: malformed or truncated block bytes raise one documented
error type (``BlockParseError``) naming the height and byte offset; never an
``IndexError``, never a hang, never a silently wrong count. Seeds are real
blocks: mainnet 831802 (2.4 MB, 2107 transactions) and small golden blocks.
Every expectation about a seed block comes from an independent pure-Python
reading of the wire format (tests/plain_reader.py), not from the parser under test.
"""

from __future__ import annotations

import gzip
import itertools
import json
import subprocess
import sys
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from plain_reader import Block, merkle, read_block, read_compact_size, read_tx, sha256d

from chainprice import core
from chainprice.core.block_parser import RawBlock, WindowColumns, parse_blocks
from chainprice.core.errors import BlockParseError

pytestmark = pytest.mark.timeout(300)  # a hang is a failure, not a stuck CI job

DATA = Path(__file__).parent / "data"
MAINNET_HEIGHT = 831802
# (chain, height): a 1-transaction block, a block with an odd transaction count,
# and one whose count is 2 mod 4 (both legacy and segwit transactions inside).
GOLDEN_SEEDS = (("g2_97k", 872530), ("g1_42k", 834381), ("g3_150k", 885352))
SMALL_SEEDS = tuple(h for _, h in GOLDEN_SEEDS)


@cache
def golden_block(height: int) -> bytes:
    """Raw bytes of a golden seed block."""
    chain = next(c for c, h in GOLDEN_SEEDS if h == height)
    return gzip.decompress((DATA / "golden" / chain / f"{height}.bin.gz").read_bytes())


@cache
def golden_pair(chain: str, height: int) -> tuple[bytes, bytes]:
    """Two consecutive golden blocks ``height`` and ``height + 1``."""
    folder = DATA / "golden" / chain
    first, second = (
        gzip.decompress((folder / f"{h}.bin.gz").read_bytes()) for h in (height, height + 1)
    )
    return first, second


@cache
def mainnet_block() -> bytes:
    """Raw bytes of mainnet block 831802."""
    return gzip.decompress((DATA / "mainnet" / f"{MAINNET_HEIGHT}.bin.gz").read_bytes())


@cache
def layout_of(height: int) -> Block:
    """Independent reading of a seed block (cached: the mainnet one takes ~40 ms)."""
    return read_block(mainnet_block() if height == MAINNET_HEIGHT else golden_block(height))


def block_bytes(height: int) -> bytes:
    """Raw bytes of any seed block by height."""
    return mainnet_block() if height == MAINNET_HEIGHT else golden_block(height)


@cache
def parsed(height: int) -> WindowColumns:
    """The parser's own result on an unmodified seed block."""
    return parse_blocks([RawBlock(height, block_bytes(height))])


# --- assertions ------------------------------------------------------------------------


def assert_same_transactions(got: WindowColumns, want: Block) -> None:
    """Counts, values, outpoints and txids all equal to the independent reading."""
    assert got.n_transactions == len(want.txs)
    assert got.tx_n_in.tolist() == [t.n_in for t in want.txs]
    assert got.tx_n_out.tolist() == [t.n_out for t in want.txs]
    assert got.out_value.tolist() == [v for t in want.txs for v in t.values]
    assert [bytes(r) for r in got.txid] == [t.txid for t in want.txs]
    assert [bytes(r) for r in got.in_prev_txid] == [o[0] for t in want.txs for o in t.prevouts]
    assert got.in_prev_vout.tolist() == [o[1] for t in want.txs for o in t.prevouts]
    assert got.block_tx_start.tolist() == [0, len(want.txs)]


def parse_or_error(height: int, data: bytes | bytearray) -> WindowColumns | BlockParseError:
    """Parse one block; a ``BlockParseError`` is returned, any other exception propagates."""
    try:
        return parse_blocks([RawBlock(height, data)])
    except BlockParseError as err:
        return err


def assert_located(err: BlockParseError, height: int, size: int) -> None:
    """The error names the block's height and an offset inside the bytes given."""
    assert err.height == height
    assert 0 <= err.offset <= size, (err.offset, size)


def assert_unchanged_or_refused(height: int, data: bytes | bytearray) -> None:
    """The mutation property: a clean refusal, or exactly the original transactions."""
    result = parse_or_error(height, data)
    if isinstance(result, BlockParseError):
        assert_located(result, height, len(data))
    else:
        assert_same_transactions(result, layout_of(height))


# --- the seeds themselves --------------------------------------------------------------


@pytest.mark.parametrize("height", (MAINNET_HEIGHT, *SMALL_SEEDS))
def test_seed_blocks_parse_like_the_independent_reading(height: int) -> None:
    """Without this, "same as the original" below could compare two wrong answers."""
    assert_same_transactions(parsed(height), layout_of(height))


def test_mainnet_seed_matches_its_published_facts() -> None:
    """The real block's counts and txids as published in tests/data/mainnet."""
    facts = next(
        b
        for b in json.loads((DATA / "mainnet" / "index.json").read_text())["blocks"]
        if b["height"] == MAINNET_HEIGHT
    )
    cols = parsed(MAINNET_HEIGHT)
    assert cols.n_transactions == facts["tx_count"] == 2107
    assert int(cols.tx_n_in.sum()) == facts["input_count"]
    assert cols.out_value.size == facts["output_count"]
    assert int(cols.out_value.sum()) == facts["total_output_value_sats"]
    assert int(cols.is_segwit.sum()) == facts["segwit_tx_count"]
    assert cols.block_time.tolist() == [facts["time"]]
    assert cols.block_hash_hex(0) == facts["hash"]
    txids = (DATA / "mainnet" / f"{MAINNET_HEIGHT}.txids.txt").read_text().split()
    assert cols.txids_hex() == txids


# --- random mutations --------------------------------------------------------------------


@dataclass(frozen=True)
class Edit:
    kind: str  # "set" (xor a byte), "ins" (insert bytes), "del" (delete bytes)
    where: int  # an offset, taken modulo the current length
    payload: bytes  # xor mask (1 byte) for "set", inserted bytes for "ins", len = count for "del"


edit_kind = st.sampled_from(("set",) * 6 + ("ins", "del"))


@st.composite
def edits(draw: st.DrawFn, structural: tuple[int, ...]) -> Edit:
    """One edit, aimed at a structural field (a count or length) half of the time."""
    kind = draw(edit_kind)
    if structural and draw(st.booleans()):
        where = draw(st.sampled_from(structural)) + draw(st.integers(-2, 9))
    else:
        where = draw(st.integers(0, 2**31 - 1))
    if kind == "set":
        payload = bytes([draw(st.integers(1, 255))])
    else:
        payload = draw(st.binary(min_size=1, max_size=4))
    return Edit(kind, where, payload)


def apply_edits(data: bytes, todo: list[Edit]) -> bytearray:
    """Apply edits in order to a copy of ``data``."""
    out = bytearray(data)
    for e in todo:
        where = e.where % max(len(out), 1)
        if e.kind == "set" and out:
            out[where] ^= e.payload[0]
        elif e.kind == "ins":
            out[where:where] = e.payload
        elif e.kind == "del":
            del out[where : where + len(e.payload)]
    return out


@st.composite
def mutated_small_block(draw: st.DrawFn) -> tuple[int, bytearray]:
    """A golden seed with 1..8 edits."""
    height = draw(st.sampled_from(SMALL_SEEDS))
    structural = (*layout_of(height).count_offsets, 0, 4, 36, 68, 72, 76)
    todo = draw(st.lists(edits(structural), min_size=1, max_size=8))
    return height, apply_edits(golden_block(height), todo)


@settings(deadline=None, max_examples=3000)
@given(case=mutated_small_block())
def test_mutated_golden_block_is_refused_or_unchanged(case: tuple[int, bytearray]) -> None:
    """1..8 random edits of a real block: a located BlockParseError or the very same txs."""
    height, data = case
    assert_unchanged_or_refused(height, data)


@st.composite
def mutated_mainnet_block(draw: st.DrawFn) -> bytearray:
    """Block 831802 with 1..8 edits."""
    structural = (*layout_of(MAINNET_HEIGHT).count_offsets, 0, 36, 68)
    todo = draw(st.lists(edits(structural), min_size=1, max_size=8))
    return apply_edits(mainnet_block(), todo)


@settings(deadline=None, max_examples=300)
@given(data=mutated_mainnet_block())
def test_mutated_mainnet_block_is_refused_or_unchanged(data: bytearray) -> None:
    """Same property on the 2.4 MB block (3-byte counts, a 1.1 MB witness item)."""
    assert_unchanged_or_refused(MAINNET_HEIGHT, data)


@pytest.mark.parametrize("height", (MAINNET_HEIGHT, *SMALL_SEEDS))
@pytest.mark.parametrize(
    ("field", "offset", "width"),
    [("version", 0, 4), ("prev_hash", 4, 32), ("time", 68, 4), ("bits", 72, 4), ("nonce", 76, 4)],
)
def test_header_edits_the_merkle_root_cannot_see_change_no_count(
    height: int, field: str, offset: int, width: int
) -> None:
    """A single block has nothing to link to, so these fields may change; counts may not."""
    data = bytearray(block_bytes(height))
    data[offset : offset + width] = bytes(b ^ 0xA5 for b in data[offset : offset + width])
    cols = parse_blocks([RawBlock(height, data)])
    assert_same_transactions(cols, layout_of(height))
    assert cols.block_time.tolist() == [int.from_bytes(data[68:72], "little")]
    assert cols.block_hash[0].tobytes() == sha256d(bytes(data[:80]))


@pytest.mark.parametrize("height", (MAINNET_HEIGHT, *SMALL_SEEDS))
def test_witness_payload_edits_change_no_count(height: int) -> None:
    """Witness bytes are outside the txid: flipping every payload's first and last byte is
    invisible to the merkle check, and must leave every count and txid as it was."""
    data = bytearray(block_bytes(height))
    spans = [(a, b) for a, b in layout_of(height).witness_data if b > a]
    assert spans, "seed must have witness data"
    for a, b in spans:
        data[a] ^= 0xFF
        data[b - 1] ^= 0x5A
    cols = parse_blocks([RawBlock(height, data)])
    assert_same_transactions(cols, layout_of(height))
    assert cols.tx_flags.tolist() == parsed(height).tx_flags.tolist()


@pytest.mark.parametrize("height", (MAINNET_HEIGHT, *SMALL_SEEDS))
def test_wrong_merkle_root_is_refused_at_offset_36(height: int) -> None:
    """A header that does not commit to these transactions is named at its merkle field."""
    data = bytearray(block_bytes(height))
    data[50] ^= 1
    with pytest.raises(BlockParseError) as info:
        parse_blocks([RawBlock(height, data)])
    assert (info.value.height, info.value.offset) == (height, 36)


@pytest.mark.parametrize(("height", "n_dup"), [(MAINNET_HEIGHT, 1), (834381, 1), (885352, 2)])
def test_duplicated_trailing_transactions_are_refused(height: int, n_dup: int) -> None:
    """CVE-2012-2459: repeating the last transaction (odd count) or the last two (count
    2 mod 4) leaves the merkle root unchanged, so a parser that only compares roots
    silently returns extra transactions. Bitcoin Core rejects such a block as mutated
    (two identical hashes paired at some level of the tree); so must we."""
    data = block_bytes(height)
    lay = layout_of(height)
    assert len(lay.txs) % (2 * n_dup) == n_dup  # the repeat really keeps the root
    n = len(lay.txs) + n_dup
    count = bytes([n]) if n < 0xFD else b"\xfd" + n.to_bytes(2, "little")
    old_count_end = read_compact_size(data, 80)[1]
    tail = data[lay.txs[-n_dup].start :]
    mutated = data[:80] + count + data[old_count_end:] + tail
    result = parse_or_error(height, mutated)
    if not isinstance(result, BlockParseError):
        pytest.fail(
            f"block {height} with its last {n_dup} transaction(s) repeated was accepted: "
            f"{result.n_transactions} transactions instead of {len(lay.txs)}"
        )
    assert_located(result, height, len(mutated))


# --- small blocks assembled from real transactions -----------------------------------------


def real_transactions(height: int) -> list[tuple[bytes, bool]]:
    """(raw bytes, is segwit) of each transaction of a golden seed block."""
    data = golden_block(height)
    starts = [t.start for t in layout_of(height).txs] + [len(data)]
    raw = [data[a:b] for a, b in itertools.pairwise(starts)]
    return [(tx, tx[4:6] == b"\x00\x01") for tx in raw]


def assemble(height: int, txs: list[bytes]) -> bytes:
    """A valid block: the seed's header with the merkle root of ``txs``, then ``txs``."""
    header = golden_block(height)[:80]
    root = merkle([read_tx(tx).txid for tx in txs])
    return header[:36] + root + header[68:] + bytes([len(txs)]) + b"".join(txs)


PARSE_MANY = r"""
import sys
sys.path.insert(0, sys.argv[1])  # the very core package the tests import
import numpy as np
from chainprice.core.block_parser import RawBlock, parse_blocks
blocks = [bytes.fromhex(h) for h in sys.stdin.read().split()]
first = {}
for round_ in range(300):
    for size in (48, 96, 480, 1000, 4800, 20000):  # leave 0xFF garbage in freed memory
        junk = np.full(size, 0xFF, np.uint8)
        del junk
    for i, block in enumerate(blocks):
        got = parse_blocks([RawBlock(1000 + i, block)]).txids_hex()
        if first.setdefault(i, got) != got:
            sys.exit(f"block {i}: txids changed between parses")
print("\n".join(" ".join(first[i]) for i in range(len(blocks))))
"""


def test_small_blocks_with_legacy_transactions_parse_the_same_every_time() -> None:
    """Legacy txids are hashed from one byte range, segwit ones from three; unused ranges
    must be empty, not whatever memory held before. Small blocks, parsed many times
    between allocations that leave garbage behind, in a child process: a crash (reading
    a garbage range) fails this test instead of killing the test run."""
    txs = real_transactions(834381)
    legacy = [tx for tx, is_segwit in txs if not is_segwit]
    segwit = [tx for tx, is_segwit in txs if is_segwit]  # [0] is the coinbase
    assert len(legacy) >= 3 and txs[0][1]
    blocks = [
        assemble(834381, legacy[:1]),
        assemble(834381, legacy[:2]),
        assemble(834381, legacy[:3]),
        assemble(834381, [txs[0][0], legacy[0], segwit[1], legacy[1], segwit[2]]),
    ]
    child = subprocess.run(
        [sys.executable, "-c", PARSE_MANY, str(Path(core.__file__).parent.parent)],
        input=" ".join(b.hex() for b in blocks),
        capture_output=True,
        text=True,
        timeout=240,
    )
    assert child.returncode == 0, f"exit {child.returncode} (-11: crashed)\n{child.stderr[-2000:]}"
    want = [" ".join(t.txid[::-1].hex() for t in read_block(b).txs) for b in blocks]
    assert child.stdout.split("\n")[: len(blocks)] == want


# --- random bytes ------------------------------------------------------------------------


@settings(deadline=None, max_examples=1000)
@given(data=st.binary(max_size=2000))
def test_random_bytes_are_refused(data: bytes) -> None:
    """Noise of any length (including 0..80 bytes, shorter than a header) fails cleanly."""
    err = parse_or_error(777, data)
    assert isinstance(err, BlockParseError)
    assert_located(err, 777, len(data))


@settings(deadline=None, max_examples=1000)
@given(height=st.sampled_from(SMALL_SEEDS), tail=st.binary(max_size=2000))
def test_random_bytes_after_a_valid_header_are_refused(height: int, tail: bytes) -> None:
    """A real header does not make noise after it parse; the walk still bounds every read."""
    data = golden_block(height)[:80] + tail
    err = parse_or_error(height, data)
    assert isinstance(err, BlockParseError)
    assert_located(err, height, len(data))


huge_compact_size = st.one_of(
    st.integers(1000, 0xFFFF).map(lambda v: b"\xfd" + v.to_bytes(2, "little")),
    st.integers(1000, 0xFFFFFFFF).map(lambda v: b"\xfe" + v.to_bytes(4, "little")),
    st.integers(1000, 2**64 - 1).map(lambda v: b"\xff" + v.to_bytes(8, "little")),
)
EXTREME_COMPACT_SIZES = (
    b"\xfd\xff\xff",
    b"\xfe\xff\xff\xff\xff",
    b"\xff" + b"\xff" * 8,
    b"\xff" + b"\xff" * 7 + b"\x00",  # 2**56 - 1: top byte zero, still absurd
    b"\xff" + b"\x00" * 7 + b"\x80",  # only the top bit
)


def one_tx_seeds() -> list[int]:
    """Seeds with a single transaction (small enough that 1000 of anything is absurd)."""
    return [h for h in SMALL_SEEDS if len(layout_of(h).txs) == 1]


@pytest.mark.parametrize("huge", EXTREME_COMPACT_SIZES, ids=lambda b: b.hex())
def test_huge_count_at_every_count_field_is_refused_right_there(huge: bytes) -> None:
    """Replace each CompactSize of a small block by an absurd one: refused at that very
    offset, the first thing wrong, since the claimed count needs more bytes than exist."""
    height = one_tx_seeds()[0]
    data = golden_block(height)
    offsets = layout_of(height).count_offsets
    assert len(offsets) >= 8
    for off in offsets:
        end = read_compact_size(data, off)[1]
        mutated = data[:off] + huge + data[end:]
        err = parse_or_error(height, mutated)
        assert isinstance(err, BlockParseError), off
        assert (err.height, err.offset) == (height, off)


@settings(deadline=None, max_examples=1000)
@given(
    height=st.sampled_from(SMALL_SEEDS),
    pick=st.integers(0, 2**31 - 1),
    huge=huge_compact_size,
    tail=st.binary(max_size=400),
)
def test_huge_count_followed_by_random_bytes_is_refused(
    height: int, pick: int, huge: bytes, tail: bytes
) -> None:
    """A valid prefix up to some count field, an absurd count, then noise."""
    offsets = layout_of(height).count_offsets
    off = offsets[pick % len(offsets)]
    data = golden_block(height)[:off] + huge + tail
    err = parse_or_error(height, data)
    assert isinstance(err, BlockParseError)
    assert err.height == height
    # Everything before ``off`` is a valid prefix, so the walk fails at ``off`` at the
    # latest (earlier if a count read before it now claims more than the short data holds).
    assert 0 <= err.offset <= off


# --- truncations and trailing bytes ---------------------------------------------------


@pytest.mark.parametrize("height", (MAINNET_HEIGHT, *SMALL_SEEDS))
def test_truncations_at_every_boundary_are_refused(height: int) -> None:
    """0, 79, 80, 81, len-1, every transaction start and count fields (and the byte after
    each; up to 3000 fields spread over the block): each cut raises at or before the cut."""
    data = block_bytes(height)
    lay = layout_of(height)
    cuts = {0, 1, 79, 80, 81, len(data) - 1}
    cuts |= {t.start for t in lay.txs}
    fields = lay.count_offsets[:: max(1, len(lay.count_offsets) // 3000)]
    cuts |= {o + d for o in fields for d in (0, 1)}
    for cut in sorted(c for c in cuts if 0 <= c < len(data)):
        err = parse_or_error(height, memoryview(data)[:cut])
        assert isinstance(err, BlockParseError), cut
        assert err.height == height
        assert 0 <= err.offset <= cut, (cut, err.offset)


@settings(deadline=None, max_examples=600)
@given(height=st.sampled_from((MAINNET_HEIGHT, *SMALL_SEEDS)), pick=st.integers(0, 2**31 - 1))
def test_random_truncations_are_refused(height: int, pick: int) -> None:
    """Any prefix of a valid block is refused at or before the cut, never read past it."""
    data = block_bytes(height)
    cut = pick % len(data)
    err = parse_or_error(height, memoryview(data)[:cut])
    assert isinstance(err, BlockParseError)
    assert err.height == height
    assert 0 <= err.offset <= cut


@settings(deadline=None, max_examples=300)
@given(height=st.sampled_from((MAINNET_HEIGHT, *SMALL_SEEDS)), extra=st.binary(min_size=1))
def test_appended_bytes_are_refused_where_the_block_ended(height: int, extra: bytes) -> None:
    """Trailing data is an error located exactly where the real block ends."""
    data = block_bytes(height)
    err = parse_or_error(height, data + extra)
    assert isinstance(err, BlockParseError)
    assert (err.height, err.offset) == (height, len(data))


# --- the error itself and the window checks ---------------------------------------------


def test_block_without_transactions_is_refused_at_the_count() -> None:
    """A zero transaction count is malformed (every block has a coinbase)."""
    header = golden_block(834381)[:80]
    err = parse_or_error(834381, header + b"\x00")
    assert isinstance(err, BlockParseError)
    assert (err.height, err.offset) == (834381, 80)
    assert "no transactions" in err.reason


def test_error_message_names_height_and_offset() -> None:
    """The message alone must say which block and which byte, for logs and users."""
    data = golden_block(834381)
    err = parse_or_error(834381, data[:1234])
    assert isinstance(err, BlockParseError)
    assert isinstance(err.offset, int)
    assert "block 834381" in str(err)
    assert f"byte offset {err.offset}" in str(err)
    assert err.reason and err.reason in str(err)
    trailing = parse_or_error(834381, data + b"\x00")
    assert isinstance(trailing, BlockParseError)
    assert str(trailing).startswith(f"block 834381, byte offset {len(data)}: ")


def test_error_names_the_bad_block_of_a_window() -> None:
    """In a two-block window, the height reported is the broken block's, not the first."""
    first, second = golden_pair("g1_42k", 834380)
    with pytest.raises(BlockParseError) as info:
        parse_blocks([RawBlock(834380, first), RawBlock(834381, second[:-1])])
    assert info.value.height == 834381
    assert 0 <= info.value.offset <= len(second) - 1


@pytest.mark.parametrize(("h1", "h2"), [(834381, 834380), (834380, 834380)])
def test_blocks_out_of_height_order_are_refused(h1: int, h2: int) -> None:
    """Descending or repeated heights would break linkage and same-window rules."""
    first, second = golden_pair("g1_42k", 834380)
    by_height = {834380: first, 834381: second}
    with pytest.raises(BlockParseError) as info:
        parse_blocks([RawBlock(h1, by_height[h1]), RawBlock(h2, by_height[h2])])
    assert (info.value.height, info.value.offset) == (h2, 0)
    assert f"block {h2}" in str(info.value)


def test_consecutive_golden_blocks_link() -> None:
    """The unaltered pair parses, so the next test's failure is the alteration alone."""
    first, second = golden_pair("g1_42k", 834380)
    cols = parse_blocks([RawBlock(834380, first), RawBlock(834381, second)])
    assert cols.block_height.tolist() == [834380, 834381]
    assert second[4:36] == sha256d(first[:80])


def test_broken_prev_hash_link_is_refused_at_offset_4() -> None:
    """Second block's prev-hash altered, its real merkle root kept: only linkage is wrong."""
    first, second = golden_pair("g1_42k", 834380)
    altered = bytearray(second)
    altered[4] ^= 0x01
    assert altered[36:68] == second[36:68]
    parse_blocks([RawBlock(834381, altered)])  # alone it is a valid block
    with pytest.raises(BlockParseError) as info:
        parse_blocks([RawBlock(834380, first), RawBlock(834381, altered)])
    assert (info.value.height, info.value.offset) == (834381, 4)
    assert "block 834381, byte offset 4" in str(info.value)


def test_blocks_are_parsed_from_bytes_bytearray_and_memoryview_alike() -> None:
    """RawBlock accepts all three buffer types; none may change the result."""
    data = golden_block(834381)
    want = layout_of(834381)
    for form in (data, bytearray(data), memoryview(data)):
        assert_same_transactions(parse_blocks([RawBlock(834381, form)]), want)
    assert np.array_equal(
        parse_blocks([RawBlock(834381, bytearray(data))]).txid, parsed(834381).txid
    )
