"""Bad input to the lake commands: one line, exit code 2, before any work.

``sql`` over a real lake (ingested from the simulated node), and commands
given a bucket that does not exist on real emulators (fake-gcs-server, moto).
"""

from __future__ import annotations

import json

import pytest

from chainprice.cli.main import main
from chainprice.nodesim import NodeSim, ServedChain
from chainprice.simchain import compact_day, generate_chain

pytest_plugins = ["tests.emulators"]


def run(capsys, *argv: str) -> tuple[int, str, str]:
    try:
        code = main(list(argv))
    except SystemExit as exc:
        code = exc.code
    out, err = capsys.readouterr()
    return code, out, err


def one_line(err: str) -> str:
    lines = [line for line in err.splitlines() if line.strip()]
    assert len(lines) == 1 and "Traceback" not in err, err
    return lines[0]


@pytest.fixture(scope="module")
def lake(tmp_path_factory) -> str:
    sim = generate_chain(compact_day())
    folder = str(tmp_path_factory.mktemp("lake") / "lake")
    with NodeSim(ServedChain.from_simulated(sim), rpc_user="u", rpc_password="p") as node:
        argv = ["ingest", "--lake", folder, "--node", node.url, "--source", "rest"]
        assert main([*argv, "--start-height", str(sim.tip - 20)]) == 0
    return folder


def test_a_query_failing_while_it_runs_is_one_line(capsys, lake) -> None:
    code, out, err = run(capsys, "sql", "SELECT 'a'::INT", "--lake", lake)
    assert code == 2 and out == ""
    assert one_line(err).startswith("chainprice: error: SQL: ")


@pytest.mark.parametrize("query", ["", "   "])
def test_an_empty_query_is_an_error(capsys, lake, query) -> None:
    code, _, err = run(capsys, "sql", query, "--lake", lake)
    assert code == 2 and "empty" in one_line(err)


@pytest.mark.parametrize("fmt", ["csv", "json", "table"])
def test_txids_are_written_as_hex(capsys, lake, fmt) -> None:
    query = "SELECT height, txid FROM txids ORDER BY height, tx_index LIMIT 3"
    code, out, err = run(capsys, "sql", query, "--lake", lake, "--format", fmt)
    assert code == 0, err
    if fmt == "json":
        txids = [row["txid"] for row in json.loads(out)]
    elif fmt == "csv":
        txids = [line.split(",")[1] for line in out.splitlines()[1:]]
    else:
        txids = [w for w in out.split() if len(w) == 64]
    assert len(txids) == 3
    assert all(len(t) == 64 and int(t, 16) >= 0 for t in txids)


@pytest.mark.parametrize("backend", ["gcs", "s3"])
@pytest.mark.parametrize(
    "command",
    [
        ["price", "--date", "2024-06-01"],
        ["sql", "SELECT 1"],
        ["ingest", "--node", "http://127.0.0.1:1"],
        ["backfill", "--from", "2024-06-01", "--to", "2024-06-01", "--node", "http://127.0.0.1:1"],
        ["demo"],
    ],
)
def test_a_missing_bucket_is_named_before_any_work(
    capsys, monkeypatch, request, backend, command
) -> None:
    emulator = request.getfixturevalue(f"{backend}_emulator")
    if backend == "gcs":
        monkeypatch.setenv("STORAGE_EMULATOR_HOST", emulator.endpoint)
    else:
        monkeypatch.setenv("AWS_ENDPOINT_URL", emulator.endpoint)
        monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
        monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
        monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    url = emulator.store_url("no-such-bucket-9x")
    code, out, err = run(capsys, *command, "--lake", url)
    assert code == 2 and out == ""
    line = one_line(err)
    assert "no-such-bucket-9x" in line and "does not exist" in line


def test_an_existing_bucket_passes_the_check(s3_emulator, gcs_emulator) -> None:
    for emulator in (s3_emulator, gcs_emulator):
        emulator.open(emulator.new_bucket()).check()
