"""The jobs the cloud functions and the CLI both run: ingest, mempool, backfill, health.

An entry point builds ``JobSettings`` (from the environment or from options)
and calls one of these; each job logs, records its ``runs`` row and
publishes ``latest.json`` the same way wherever it runs.
"""
