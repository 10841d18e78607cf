"""The Parquet lake: what is written where, and how windows are read back.

Each block is read from the node once (``ingest``); every later price comes
from the lake's rows (``reader``). The manifest is the commit point: readers
see only the objects it lists, so a crash between object writes leaves the
lake as it was.
"""
