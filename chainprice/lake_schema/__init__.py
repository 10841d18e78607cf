"""The Parquet lake's contract: table schemas with docs, Hive partitions and object names.

Everything that writes or reads the lake goes through these definitions;
``describe()`` renders them as the markdown the README shows.
"""

from chainprice.lake_schema.describe import describe
from chainprice.lake_schema.errors import LakeNameError, LakeSchemaError
from chainprice.lake_schema.naming import (
    LakeObject,
    block_object,
    compacted_object,
    day_price_object,
    exchange_object,
    histogram_object,
    intraday_object,
    mempool_price_object,
    month_prices_object,
    parse_object,
    partition_prefix,
    recent_day_object,
    recent_price_object,
    run_object,
    staged,
    versioned,
)
from chainprice.lake_schema.tables import SCHEMA_VERSION, SPEND_LOOKBACK, TABLES, Table, get_table
from chainprice.lake_schema.validation import to_table, validate

__all__ = [
    "SCHEMA_VERSION",
    "SPEND_LOOKBACK",
    "TABLES",
    "LakeNameError",
    "LakeObject",
    "LakeSchemaError",
    "Table",
    "block_object",
    "compacted_object",
    "day_price_object",
    "describe",
    "exchange_object",
    "get_table",
    "histogram_object",
    "intraday_object",
    "mempool_price_object",
    "month_prices_object",
    "parse_object",
    "partition_prefix",
    "recent_day_object",
    "recent_price_object",
    "run_object",
    "staged",
    "to_table",
    "validate",
    "versioned",
]
