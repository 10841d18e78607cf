"""``--help`` says what every option takes, and answers without loading the heavy libraries."""

from __future__ import annotations

import subprocess
import sys

import pytest

HEAVY = ("numba", "numpy", "pyarrow", "duckdb", "polars", "requests", "google", "boto3")


def help_text(*command: str) -> str:
    out = subprocess.run(
        [sys.executable, "-m", "chainprice.cli.main", *command, "--help"],
        capture_output=True,
        text=True,
        timeout=60,
        env={"COLUMNS": "200", "PATH": ""},
    )
    assert out.returncode == 0, out.stderr
    return " ".join(out.stdout.split())


def test_help_imports_none_of_the_heavy_libraries() -> None:
    probe = (
        "import sys\n"
        "from chainprice.cli.main import main\n"
        "try:\n    main(['--help'])\nexcept SystemExit:\n    pass\n"
        f"print(sorted({{m.split('.')[0] for m in sys.modules}} & set({HEAVY!r})))"
    )
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip().splitlines()[-1] == "[]"


@pytest.mark.parametrize(
    ("command", "needles"),
    [
        (["backfill"], ["--from YYYY-MM-DD", "--to YYYY-MM-DD", "(included)"]),
        (["sql"], ["csv: header row", "json: one array", "as hex"]),
        (["price"], ["1..289", "1..64", "CHAINPRICE_RPC_PASSWORD", "--rpc-password-file"]),
        (
            ["node-sim"],
            [
                "default 8332",
                "default 127.0.0.1",
                "added to every answer",
                "HTTP 500/503",
                "closed without an answer",
                "cut short",
                "same seed gives the same faults",
                "--prune-below",
                "(default 300)",
            ],
        ),
    ],
)
def test_help_describes_every_option(command, needles) -> None:
    text = help_text(*command)
    for needle in needles:
        assert needle in text, needle


def test_node_sim_help_states_the_real_mempool_default() -> None:
    from chainprice.nodesim.cli import MEMPOOL_SIZE_HELP
    from chainprice.nodesim.served_chain import DEFAULT_MEMPOOL_SIZE

    assert f"(default {DEFAULT_MEMPOOL_SIZE})" in MEMPOOL_SIZE_HELP
