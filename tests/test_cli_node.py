"""``chainprice`` against the simulated node over loopback HTTP: every source prices the same,
bad input fails with one clear line, and faults cost retries, never a different price."""

from __future__ import annotations

import datetime as dt
import json
import socket

import pytest

from chainprice.adapters.memory_chain import MemoryChain
from chainprice.cli.main import main
from chainprice.core import price_day, price_recent
from chainprice.nodesim import FaultPlan, NodeSim, ServedChain
from chainprice.simchain import compact_day, generate_chain

DAY = dt.date(2024, 6, 1)


@pytest.fixture(scope="module")
def sim():
    return generate_chain(compact_day())


@pytest.fixture(scope="module")
def served(sim):
    return ServedChain.from_simulated(sim)


@pytest.fixture(scope="module")
def node(served, tmp_path_factory):
    with NodeSim(served, rpc_user="u", rpc_password="p", datadir=tmp_path_factory.mktemp("n")) as n:
        yield n


@pytest.fixture(scope="module")
def truth(sim):
    chain = MemoryChain(dict(zip(sim.heights, sim.blocks, strict=True)))
    return price_day(chain, chain.fetch, DAY), price_recent(chain, chain.fetch)


def run(capsys, *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def node_args(node, source: str) -> list[str]:
    url = node.esplora_url if source == "esplora" else node.url
    return ["--node", url, "--source", source, "--rpc-user", "u", "--rpc-password", "p"]


@pytest.mark.parametrize("source", ["rpc", "rest", "esplora"])
def test_every_source_gives_the_engine_price(capsys, node, truth, source) -> None:
    day, recent = truth
    code, out, err = run(capsys, "price", "--date", str(DAY), "--json", *node_args(node, source))
    assert code == 0, err
    got = json.loads(out)
    assert (got["price"], got["rough_price"]) == (day.price, day.rough)
    assert (got["start_height"], got["end_height"], got["tip_height"]) == (
        day.start,
        day.end,
        day.tip,
    )
    assert (got["n_outputs"], got["n_price_points"], got["n_plotted"], got["dev_pct"]) == (
        day.n_outputs,
        day.n_price_points,
        day.n_plotted,
        day.dev_pct,
    )
    assert "retries" in err
    code, out, _ = run(capsys, "price", "--recent", "144", "--json", *node_args(node, source))
    assert code == 0 and json.loads(out)["price"] == recent.price


def test_cookie_auth_and_canonical_rule(capsys, node, truth) -> None:
    day, _ = truth
    argv = ["price", "--node", node.url, "--rpc-cookie", str(node.cookie_path), "--json"]
    code, out, err = run(capsys, *argv, "--date", str(DAY), "--window-rule", "canonical")
    assert code == 0, err
    got = json.loads(out)
    assert got["window_rule"] == "canonical"
    assert got["price"] == day.canonical_price


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--date", "2031-01-01"], "not over yet"),
        (["--date", "2020-01-01"], "before 2023-12-15"),
        (["--date", "2024-13-01"], "not a date"),
        (["--rpc-password", "wrong"], "credentials"),
    ],
)
def test_bad_input_is_one_clear_line(capsys, node, argv, message) -> None:
    base = ["price", "--node", node.url, "--rpc-user", "u", "--rpc-password", "p"]
    with pytest.raises(SystemExit) if "13-01" in argv[-1] else _no_exit():
        code, _, err = run(capsys, *base, *argv)
        assert code == 2
        assert err.count("\n") == 1 and message in err
    if "13-01" in argv[-1]:
        assert message in capsys.readouterr().err


class _no_exit:
    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False


def test_unreachable_node(capsys) -> None:
    url = f"http://127.0.0.1:{free_port()}"
    code, _, err = run(capsys, "price", "--node", url, "--retries", "1", "--timeout", "2")
    assert code == 2 and "cannot reach" in err and err.count("\n") == 1


def test_faults_cost_retries_not_a_different_price(capsys, served, truth, tmp_path) -> None:
    plan = FaultPlan(error_rate=0.10, drop_rate=0.05, truncate_rate=0.05, seed=7)
    with NodeSim(served, faults=plan, rpc_user="u", rpc_password="p", datadir=tmp_path) as n:
        for source in ("rpc", "rest"):
            argv = ["price", "--date", str(DAY), "--json", *node_args(n, source)]
            code, out, err = run(capsys, *argv, "--retries", "8")
            assert code == 0, err
            assert json.loads(out)["price"] == truth[0].price
            retries = int(err.split(" retries")[0].rsplit(" ", 1)[1])
            assert retries > 0
