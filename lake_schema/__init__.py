"""Home of the Parquet lake's table schemas (none yet: the engine comes first)."""
