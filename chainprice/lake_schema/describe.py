"""The lake's tables as markdown, generated from the schemas so the README never drifts."""

from __future__ import annotations

import pyarrow as pa

from chainprice.lake_schema.tables import SCHEMA_VERSION, TABLES, Table


def describe() -> str:
    """Markdown of every table: doc, partitions, object names, then one row per column."""
    parts = [
        f"Schema version {SCHEMA_VERSION}. Partition columns are in object names "
        "(Hive style), not inside the files; DuckDB, polars and pyarrow read them back "
        "with hive partitioning.",
    ]
    parts.extend(_describe_table(table) for table in TABLES.values())
    return "\n\n".join(parts) + "\n"


def _describe_table(table: Table) -> str:
    lines = [f"### `{table.name}`", "", table.doc, ""]
    partitions = ", then ".join(f"`{c}`" for c in table.partition_columns)
    lines.append(f"Partitioned by {partitions}" if partitions else "Not partitioned")
    if table.order_by:
        lines[-1] += "; rows ordered by " + ", ".join(f"`{c}`" for c in table.order_by)
    lines[-1] += ". Objects: " + "; ".join(f"`{p}`" for p in table.object_names) + "."
    lines += ["", "| column | type | null | meaning |", "|---|---|---|---|"]
    lines.extend(_describe_field(f) for f in table.dataset_schema)
    return "\n".join(lines)


def _describe_field(fld: pa.Field) -> str:
    metadata = fld.metadata or {}
    doc = metadata[b"doc"].decode()
    if b"values" in metadata:
        values = metadata[b"values"].decode().split(",")
        doc += " One of: " + ", ".join(f"`{v}`" for v in values) + "."
    return f"| `{fld.name}` | {fld.type} | {'yes' if fld.nullable else 'no'} | {doc} |"
