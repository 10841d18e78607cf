"""Schemas of the Parquet lake: the tables results are written to and read from."""
