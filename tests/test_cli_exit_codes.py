"""Every error path of the lake commands ends with one line and exit code 2, every time.

Arrow's thread pool used to abort quick error paths at exit (SIGABRT, code 134)
in about one run in four on a busy machine; each path here runs repeatedly.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import expected, golden_chain
from file_node import FileNode

from chainprice.adapters.storage import open_store
from chainprice.lake.ingest import ingest

ROOT = Path(__file__).resolve().parent.parent
RUNS = 6


@pytest.fixture(scope="module")
def lakes(tmp_path_factory) -> dict[str, Path]:
    lo, hi = expected()["chains"]["g1_42k"]["heights"]
    node = FileNode.from_files(golden_chain("g1_42k"), lo, hi)
    made = {}
    for name in ("good", "no_manifest", "damaged"):
        folder = tmp_path_factory.mktemp(name)
        ingest(open_store(str(folder)), node, start_height=lo)
        made[name] = folder
    (made["no_manifest"] / "manifest.json").unlink()
    victim = next((made["damaged"] / "staging" / "outputs").rglob("*.parquet"))
    victim.write_bytes(victim.read_bytes()[:100])
    return made


CASES = {
    "a day the lake does not hold": ("good", ["price", "--date", "2024-01-05"]),
    "a day not over yet": ("good", ["price", "--date", "2030-01-01"]),
    "no manifest": ("no_manifest", ["price"]),
    "no manifest, sql": ("no_manifest", ["sql", "SELECT 1"]),
    "a damaged object": ("damaged", ["lake", "check"]),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_error_paths_end_in_one_line_and_exit_2_every_time(lakes, case) -> None:
    lake, args = CASES[case]
    argv = [sys.executable, "-m", "chainprice.cli.main", *args, "--lake", str(lakes[lake])]
    for _ in range(RUNS):
        done = subprocess.run(argv, cwd=ROOT, capture_output=True, text=True, env=os.environ)
        assert done.returncode == 2, done.stderr
        errors = [line for line in done.stderr.splitlines() if line.startswith("chainprice: error")]
        assert len(errors) == 1 and "Traceback" not in done.stderr, done.stderr
