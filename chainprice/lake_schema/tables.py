"""Every table of the lake: its columns with their docs, Hive partitions, object names and order.

This is the lake's contract with its readers (DuckDB users, the static site)
and its writers (ingestion): one definition here, so the docs, the checks and
the files never disagree. Partition columns live only in object names, as Hive
readers expect, so a file never carries a second, possibly different copy.
"""

from __future__ import annotations

from dataclasses import dataclass

import pyarrow as pa

from chainprice.core.windows import SPEND_LOOKBACK
from chainprice.lake_schema.errors import LakeSchemaError

SCHEMA_VERSION = 2

TIMESTAMP = pa.timestamp("us", tz="UTC")


def _col(
    name: str,
    type_: pa.DataType,
    doc: str,
    *,
    nullable: bool = False,
    values: tuple[str, ...] = (),
) -> pa.Field:
    """A field carrying its doc (and its allowed values) where every Parquet reader can see it."""
    metadata = {"doc": doc}
    if values:
        metadata["values"] = ",".join(values)
    return pa.field(name, type_, nullable=nullable, metadata=metadata)


@dataclass(frozen=True)
class Table:
    """One lake table: the Parquet schema of its objects, its Hive partitions and its naming."""

    name: str
    doc: str
    schema: pa.Schema
    """Columns stored in each object, with field docs and table metadata."""
    partitions: pa.Schema
    """Hive partition keys, outermost first; their values are in object names only."""
    object_names: tuple[str, ...]
    """Patterns of its object names, for people (lake_schema.naming builds and reads them)."""
    order_by: tuple[str, ...] = ()
    """Columns that rows of one object are sorted by (empty: no order promised)."""

    @property
    def partition_columns(self) -> tuple[str, ...]:
        return tuple(self.partitions.names)

    @property
    def dataset_schema(self) -> pa.Schema:
        """What a Hive-aware reader sees: stored columns, then partition columns."""
        return pa.schema([*self.schema, *self.partitions], metadata=self.schema.metadata)


def _table(
    name: str,
    doc: str,
    columns: list[pa.Field],
    partitions: list[pa.Field],
    object_names: tuple[str, ...],
    order_by: tuple[str, ...] = (),
) -> Table:
    metadata = {"table": name, "schema_version": str(SCHEMA_VERSION), "doc": doc}
    return Table(
        name=name,
        doc=doc,
        schema=pa.schema(columns, metadata=metadata),
        partitions=pa.schema(partitions),
        object_names=object_names,
        order_by=order_by,
    )


def _block_date(of: str) -> pa.Field:
    return _col("date", pa.date32(), f"UTC date of {of} (Hive partition).")


_PER_BLOCK_NAMES = (
    "staging/{table}/date=YYYY-MM-DD/<height:09d>-<hash[:16]>.parquet (one block of a day "
    "that can still change)",
    "{table}/date=YYYY-MM-DD/day-<first height>-<last height>-<digest>.parquet "
    "(a finished day, published once; digest of the member object names)",
)


def _per_block_names(table: str) -> tuple[str, ...]:
    return tuple(pattern.format(table=table) for pattern in _PER_BLOCK_NAMES)


BLOCKS = _table(
    "blocks",
    "One row per block read from the node.",
    [
        _col("height", pa.int32(), "Block height."),
        _col("hash", pa.string(), "Block hash, hex in display order (as explorers show it)."),
        _col("prev_hash", pa.string(), "Hash of the previous block, hex in display order."),
        _col(
            "time",
            pa.int64(),
            "Header time, unix seconds (not monotonic: can precede the previous block's).",
        ),
        _col(
            "median_time",
            pa.int64(),
            "Median of the header times of the 11 previous blocks, unix seconds; "
            "null when they were not all known.",
            nullable=True,
        ),
        _col("tx_count", pa.int32(), "Transactions in the block, coinbase included."),
        _col("size", pa.int64(), "Size of the raw block in bytes, witness data included."),
        _col("n_outputs", pa.int32(), "Rows this block has in the outputs table."),
        _col("ingested_at", TIMESTAMP, "When the block was written to the lake."),
    ],
    [_block_date("the header time")],
    _per_block_names("blocks"),
    order_by=("height",),
)

OUTPUTS = _table(
    "outputs",
    "One row per output the price method can ever record: every output, with a value of "
    "1e-5 < sats/1e8 < 1e5 BTC, of every transaction passing the window-independent filters "
    "of docs/METHOD.md section 2 (at most 5 inputs, exactly 2 outputs, not coinbase, no "
    "OP_RETURN, no large witness). The same-window rule is applied when reading, with "
    "funding_height.",
    [
        _col("height", pa.int32(), "Height of the block holding the transaction."),
        _col("tx_index", pa.int32(), "Position of the transaction in its block (0 = coinbase)."),
        _col("vout", pa.int8(), "Position of the output in its transaction (0 or 1)."),
        _col("value_sats", pa.int64(), "Output value in satoshis."),
        _col("time", pa.int64(), "Header time of the block, unix seconds."),
        _col(
            "funding_height",
            pa.int32(),
            "Greatest height of an earlier transaction in chain order (an earlier one of the "
            f"same block counts) that one of this transaction's inputs spends, looked for at "
            f"most {SPEND_LOOKBACK} blocks back; -1 if none was found. A window [s, e) no "
            f"longer than {SPEND_LOOKBACK} blocks records this output iff s <= height < e "
            "and funding_height < s.",
        ),
    ],
    [_block_date("the block's header time")],
    _per_block_names("outputs"),
    order_by=("height", "tx_index", "vout"),
)

TXIDS = _table(
    "txids",
    "Every transaction id of every block, so same-window lookups for later blocks never "
    "need the node.",
    [
        _col("height", pa.int32(), "Height of the block holding the transaction."),
        _col("tx_index", pa.int32(), "Position of the transaction in its block (0 = coinbase)."),
        _col(
            "txid",
            pa.binary(32),
            "Transaction id in internal byte order (the reverse of the hex explorers show).",
        ),
    ],
    [_block_date("the block's header time")],
    _per_block_names("txids"),
    order_by=("height", "tx_index"),
)

_NULL_IF_NO_EXCHANGE = "; null without an exchange price."

PRICES = _table(
    "prices",
    "One row per computed price: a UTC day, the latest 144 blocks, or the mempool.",
    [
        _col(
            "window_rule",
            pa.string(),
            "Window rule of start_height..end_height: reference = the published method's "
            "(day walk or latest 144 blocks), canonical = our tip-independent day window.",
            values=("reference", "canonical"),
        ),
        _col("start_height", pa.int32(), "First height of the window."),
        _col("end_height", pa.int32(), "Height after the window's last block (exclusive)."),
        _col(
            "tip_height",
            pa.int32(),
            "Best height of the node when the price was computed (the day walk depends on it).",
        ),
        _col("rough_price", pa.int64(), "Rough price from the stencil fit, whole USD per BTC."),
        _col("price", pa.float64(), "On-chain price, USD per BTC."),
        _col(
            "canonical_price",
            pa.float64(),
            "Price over the canonical day window (equal to price when both windows hold the "
            "same blocks); null for recent and mempool rows and while canonical_pending.",
            nullable=True,
        ),
        _col(
            "canonical_start_height",
            pa.int32(),
            "First height of the canonical day window; null when canonical_price is.",
            nullable=True,
        ),
        _col(
            "canonical_end_height",
            pa.int32(),
            "Height after the canonical day window (exclusive); null when canonical_price is.",
            nullable=True,
        ),
        _col(
            "canonical_pending",
            pa.bool_(),
            "True while later blocks can still move the canonical day's end (too near the "
            "tip); a later run fills canonical_*.",
        ),
        _col("n_blocks", pa.int32(), "Blocks in the window."),
        _col("n_outputs", pa.int32(), "Output amounts recorded in the window's histogram."),
        _col("n_price_points", pa.int32(), "Intraday price points found near the rough price."),
        _col("n_plotted", pa.int32(), "Price points within the chart's range (rows of intraday)."),
        _col(
            "dev_pct",
            pa.float64(),
            "Spread of the price points around the price, as a fraction of the +-10 % range "
            "(docs/METHOD.md section 8).",
        ),
        _col(
            "ax_range",
            pa.float64(),
            "Half-height of the chart's price range as a fraction of the price (0.05..0.20).",
            nullable=True,
        ),
        _col("confidence", pa.float64(), "Confidence in the price, from 0 (none) to 1."),
        _col(
            "is_valid",
            pa.bool_(),
            "False when the price is out of the configured range or its confidence too low; "
            "such rows are kept and shown with a warning.",
        ),
        _col(
            "invalid_reason",
            pa.string(),
            "Why is_valid is false; null when it is true.",
            nullable=True,
        ),
        _col(
            "exchange_price",
            pa.float64(),
            "Exchange price for comparison, USD per BTC" + _NULL_IF_NO_EXCHANGE,
            nullable=True,
        ),
        _col(
            "diff_usd",
            pa.float64(),
            "price - exchange_price, USD" + _NULL_IF_NO_EXCHANGE,
            nullable=True,
        ),
        _col(
            "diff_pct",
            pa.float64(),
            "100 * (price - exchange_price) / exchange_price" + _NULL_IF_NO_EXCHANGE,
            nullable=True,
        ),
        _col(
            "diverges",
            pa.bool_(),
            "True when |diff_pct| > 2" + _NULL_IF_NO_EXCHANGE,
            nullable=True,
        ),
        _col("method_version", pa.string(), "Version of the published method reproduced."),
        _col("computed_at", TIMESTAMP, "When the price was computed."),
    ],
    [
        _col(
            "kind",
            pa.string(),
            "What was priced: day = a UTC day, recent = the latest 144 blocks, mempool = "
            "unconfirmed transactions (Hive partition).",
            values=("day", "recent", "mempool"),
        ),
        _col(
            "date",
            pa.date32(),
            "For kind=day the priced UTC day; for recent and mempool the UTC date of "
            "computed_at (Hive partition).",
        ),
    ],
    (
        "staging/prices/kind=day/date=YYYY-MM-DD/price.v<digest>.parquet (while the day can "
        "still be repriced)",
        "prices/kind=day/date=YYYY-MM-DD/price.parquet (a finished day, published once)",
        "prices/kind=day/month=YYYY-MM/days-<digest>.parquet (a finished month's days, merged "
        "once a later month has a finished day; date is a column in it, not in the name; "
        "digest of the member object names)",
        "staging/prices/kind=recent/date=YYYY-MM-DD/tip-<tip height:09d>.v<digest>.parquet",
        "prices/kind=recent/date=YYYY-MM-DD/tips.parquet (every tip of a finished day)",
        "prices/kind=mempool/date=YYYY-MM-DD/at-<computed_at as YYYYMMDDTHHMMSSZ>.parquet",
        "prices/kind=mempool/date=YYYY-MM-DD/day-<digest>.parquet (a finished day's estimates)",
    ),
)

INTRADAY = _table(
    "intraday",
    "The plotted price points of each day's price (the chart's scatter).",
    [
        _col("height", pa.int32(), "Height of the block holding the output."),
        _col("time", pa.int64(), "Header time of that block, unix seconds."),
        _col("price", pa.float64(), "Price point, USD per BTC."),
        _col("seq", pa.int32(), "Order of the point in the chart, from 0."),
    ],
    [_col("date", pa.date32(), "The priced UTC day (Hive partition).")],
    (
        "staging/intraday/date=YYYY-MM-DD/points.v<digest>.parquet",
        "intraday/date=YYYY-MM-DD/points.parquet (a finished day)",
    ),
    order_by=("seq",),
)

EXCHANGE_PRICES = _table(
    "exchange_prices",
    "Exchange prices fetched for comparison with the on-chain price.",
    [
        _col("time", pa.int64(), "Time the exchange price applies to, unix seconds."),
        _col("currency", pa.string(), "Currency code, e.g. USD."),
        _col("price", pa.float64(), "Price of one BTC in that currency."),
        _col("source", pa.string(), "Host of the price API's base URL, e.g. mempool.space."),
    ],
    [_col("date", pa.date32(), "UTC date of time (Hive partition).")],
    (
        "staging/exchange_prices/date=YYYY-MM-DD/<source>.v<digest>.parquet",
        "exchange_prices/date=YYYY-MM-DD/<source>.parquet (a finished day)",
    ),
)

RUNS = _table(
    "runs",
    "One row per job run: the lake's health record (last run, lag behind the tip).",
    [
        _col("run_id", pa.string(), "Unique id of the run."),
        _col("job", pa.string(), "Job that ran, e.g. ingest, recent, mempool, backfill."),
        _col("started_at", TIMESTAMP, "When the run started."),
        _col("finished_at", TIMESTAMP, "When the run ended."),
        _col("status", pa.string(), "How the run ended.", values=("ok", "error")),
        _col(
            "tip_height",
            pa.int32(),
            "Best height of the node; null if the node was not reached.",
            nullable=True,
        ),
        _col(
            "lake_height",
            pa.int32(),
            "Highest block height in the lake after the run; null if the lake holds none.",
            nullable=True,
        ),
        _col(
            "lag_blocks",
            pa.int32(),
            "tip_height - lake_height; null when either is.",
            nullable=True,
        ),
        _col("blocks_ingested", pa.int32(), "Blocks written to the lake by this run."),
        _col("retries", pa.int32(), "Node, API or storage calls retried during the run."),
        _col(
            "error",
            pa.string(),
            "One-line error message when status is error; null otherwise.",
            nullable=True,
        ),
    ],
    [_col("date", pa.date32(), "UTC date of started_at (Hive partition).")],
    ("runs/date=YYYY-MM-DD/<started_at as YYYYMMDDTHHMMSSZ>-<run_id>.parquet",),
)

TABLES: dict[str, Table] = {
    t.name: t for t in (BLOCKS, OUTPUTS, TXIDS, PRICES, INTRADAY, EXCHANGE_PRICES, RUNS)
}


def get_table(name: str) -> Table:
    """The table called ``name``; a clear error for any other name."""
    try:
        return TABLES[name]
    except KeyError:
        raise LakeSchemaError(f"unknown lake table {name!r} (known: {', '.join(TABLES)})") from None


HISTOGRAMS = _table(
    "histograms",
    "Each priced day's cleaned output histogram and the stencil fit over it (the histogram "
    "chart): one row per day, for the day's reference window.",
    [
        _col("start_height", pa.int32(), "First height of the day's window."),
        _col("end_height", pa.int32(), "Height after the window's last block (exclusive)."),
        _col("rough_price", pa.int64(), "Rough price the fit gave, whole USD per BTC."),
        _col(
            "bins",
            pa.list_(pa.int16()),
            "Bin indexes 201..1600 of the kept range (docs/METHOD.md section 3).",
        ),
        _col("bin_btc", pa.list_(pa.float64()), "Lower edge of each bin, BTC."),
        _col(
            "bin_value",
            pa.list_(pa.float64()),
            "Cleaned histogram value of each bin: share of the window's amounts, capped.",
        ),
        _col(
            "slides",
            pa.list_(pa.int16()),
            "Stencil positions tried, -141..200 (slide s reads bins 199+s..1001+s).",
        ),
        _col("slide_scores", pa.list_(pa.float64()), "Stencil score at each slide."),
        _col("best_slide", pa.int16(), "Slide with the best score."),
        _col(
            "round_usd",
            pa.list_(pa.int32()),
            "Round USD amounts of the spike stencil: 1, 5, 10, ... 10000.",
        ),
        _col(
            "round_usd_btc",
            pa.list_(pa.float64()),
            "Where the fit puts each round USD amount: its BTC value at the best slide's "
            "price (100 / lower edge of bin 601 + best_slide).",
        ),
    ],
    [_col("date", pa.date32(), "The priced UTC day (Hive partition).")],
    ("histograms/date=YYYY-MM-DD/fit.parquet (rewritten whole with the day's price)",),
)
TABLES[HISTOGRAMS.name] = HISTOGRAMS

MEMPOOL_POINTS_RETENTION_DAYS = 7
"""Default days a mempool run's scatter is kept (``lake.mempool_series`` prunes older ones)."""

MEMPOOL_RUNS = _table(
    "mempool_runs",
    "One row per mempool estimate: its window and how many transactions each step saw "
    "(the price itself is the prices row with kind=mempool and the same computed_at).",
    [
        _col("computed_at", TIMESTAMP, "When the estimate was computed (the prices row's)."),
        _col("tip_height", pa.int32(), "Best height of the node at the estimate."),
        _col(
            "window_start",
            TIMESTAMP,
            "Oldest entry time the window takes: window_end minus the window's length.",
        ),
        _col("window_end", TIMESTAMP, "Newest entry time in the mempool (the node's clock)."),
        _col("n_received", pa.int32(), "Transactions in the node's mempool answer."),
        _col("n_in_window", pa.int32(), "Of those, entered within the window."),
        _col(
            "n_candidates",
            pa.int32(),
            "Of those, passing every filter and the same-window rule (the histogram's).",
        ),
        _col("n_fetched", pa.int32(), "Transactions fetched by this run (the new ones)."),
        _col("n_gone", pa.int32(), "Window transactions of the previous run no longer there."),
    ],
    [_col("date", pa.date32(), "UTC date of computed_at (Hive partition).")],
    (
        "mempool_runs/date=YYYY-MM-DD/at-<computed_at as YYYYMMDDTHHMMSSZ>.parquet",
        "mempool_runs/date=YYYY-MM-DD/day-<digest>.parquet (a finished day's runs, merged)",
    ),
)

MEMPOOL_POINTS = _table(
    "mempool_points",
    "The plotted price points of each mempool estimate (its scatter), kept "
    f"{MEMPOOL_POINTS_RETENTION_DAYS} days unless configured otherwise.",
    [
        _col("computed_at", TIMESTAMP, "When the estimate was computed (the prices row's)."),
        _col("time", pa.int64(), "Entry time of the transaction, unix seconds (node's clock)."),
        _col("price", pa.float64(), "Price point, USD per BTC."),
        _col("seq", pa.int32(), "Order of the point in the chart, from 0."),
    ],
    [_col("date", pa.date32(), "UTC date of computed_at (Hive partition).")],
    ("mempool_points/date=YYYY-MM-DD/at-<computed_at as YYYYMMDDTHHMMSSZ>.parquet",),
    order_by=("seq",),
)

MEMPOOL_STATE = _table(
    "mempool_state",
    "What the next stateless mempool run needs: every window transaction it has already "
    "fetched, with its filter facts. One object, rewritten by each run.",
    [
        _col("txid", pa.binary(32), "Transaction id in internal byte order."),
        _col(
            "entry_time",
            pa.int64(),
            "When it entered the node's mempool, unix seconds (for Esplora: first seen).",
        ),
        _col("n_inputs", pa.int32(), "Number of inputs of the transaction."),
        _col("n_outputs", pa.int32(), "Number of outputs of the transaction."),
        _col(
            "flags",
            pa.int32(),
            "Filter facts as bits: 1 segwit, 2 coinbase, 4 OP_RETURN, 8 oversized witness item.",
        ),
        _col("value_0", pa.int64(), "Value of the first output, satoshis (0 if none)."),
        _col("value_1", pa.int64(), "Value of the second output, satoshis (0 if none)."),
        _col(
            "has_parent",
            pa.bool_(),
            "The node said it spends an unconfirmed transaction (Core's depends).",
        ),
        _col(
            "prev_txids",
            pa.list_(pa.binary(32)),
            "Txids (internal byte order) of the outputs its inputs spend, in input order.",
        ),
        _col("tip_height", pa.int32(), "Best height of the node when the state was written."),
    ],
    [],
    ("mempool_state/state.parquet (rewritten whole by each run)",),
)

TABLES.update({t.name: t for t in (MEMPOOL_RUNS, MEMPOOL_POINTS, MEMPOOL_STATE)})
