"""Shared test data: the golden chains and the reference's results on them."""

from __future__ import annotations

import gzip
import json
import os
from functools import cache
from pathlib import Path

from chainprice.adapters.block_files import BlockFiles
from chainprice.jobs.logs import MANAGED_MARKERS

for _marker in MANAGED_MARKERS:  # a CI runner under systemd must not turn the CLI's output to JSON
    os.environ.pop(_marker, None)

DATA = Path(__file__).parent / "data"
GOLDEN = DATA / "golden"
MAINNET = DATA / "mainnet"


@cache
def expected() -> dict:
    return json.loads((GOLDEN / "expected.json").read_text())


def golden_results() -> list[tuple[str, dict]]:
    """Every (chain name, reference result) pair of the golden data."""
    return [(name, r) for name, chain in expected()["chains"].items() for r in chain["results"]]


@cache
def golden_chain(name: str) -> BlockFiles:
    return BlockFiles(GOLDEN / name)


@cache
def golden_points(points_file: str) -> dict:
    with gzip.open(GOLDEN / points_file) as f:
        return json.load(f)


@cache
def mainnet_index() -> dict:
    return json.loads((MAINNET / "index.json").read_text())


@cache
def mainnet_block(height: int) -> bytes:
    with gzip.open(MAINNET / f"{height}.bin.gz") as f:
        return f.read()
