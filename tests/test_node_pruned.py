"""A pruned node, simulated (``--prune-below``), and days the node cannot serve.

Bitcoin Core keeps every header but discards old block data when pruning:
``getblock`` answers RPC error -1 "Block not available (pruned data)", REST
404 "<hash> not available (pruned data)". The price command must say so,
name the node's prune height, and say what to do.
"""

from __future__ import annotations

import datetime as dt

import pytest
import requests

from chainprice.cli.main import main
from chainprice.nodesim import NodeSim, ServedChain
from chainprice.simchain import compact_day, generate_chain

DAY = dt.date(2024, 6, 1)


@pytest.fixture(scope="module")
def sim():
    return generate_chain(compact_day())


@pytest.fixture(scope="module")
def pruned(sim):
    below = sim.tip - 10
    chain = ServedChain.from_simulated(sim)
    with NodeSim(chain, rpc_user="u", rpc_password="p", prune_below=below) as node:
        yield node, below


def run(capsys, *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_the_simulated_node_answers_as_a_pruned_core(pruned, sim) -> None:
    node, below = pruned
    rpc = lambda method, *params: requests.post(  # noqa: E731
        node.url, json={"id": 1, "method": method, "params": list(params)}, auth=("u", "p")
    )
    info = rpc("getblockchaininfo").json()["result"]
    assert info["pruned"] is True and info["pruneheight"] == below
    old = rpc("getblockhash", below - 1).json()["result"]
    kept = rpc("getblockhash", below).json()["result"]
    answer = rpc("getblock", old, 0)
    assert answer.status_code == 500
    assert answer.json()["error"] == {"code": -1, "message": "Block not available (pruned data)"}
    assert rpc("getblock", kept, 0).status_code == 200
    assert rpc("getblockheader", old, False).status_code == 200  # headers stay
    rest = requests.get(f"{node.url}/rest/block/{old}.bin")
    assert rest.status_code == 404 and "not available (pruned data)" in rest.text
    assert requests.get(f"{node.url}/rest/block/{kept}.bin").status_code == 200
    assert requests.get(f"{node.esplora_url}/block/{old}/raw").status_code == 400


@pytest.mark.parametrize("source", ["rpc", "rest", "esplora"])
def test_pricing_a_pruned_day_names_the_prune_height(capsys, pruned, source) -> None:
    node, below = pruned
    url = node.esplora_url if source == "esplora" else node.url
    argv = ["price", "--date", str(DAY), "--node", url, "--source", source]
    code, out, err = run(capsys, *argv, "--rpc-user", "u", "--rpc-password", "p")
    assert code == 2 and out == ""
    lines = err.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in err
    assert str(DAY) in lines[0] and "pruned" in lines[0] and "use a node without pruning" in err
    if source != "esplora":  # Esplora does not tell its node's prune height
        assert f"from height {below}" in lines[0]


def test_recent_blocks_above_the_prune_height_still_price(capsys, pruned) -> None:
    node, _ = pruned
    code, out, err = run(capsys, "price", "--recent", "10", "--node", node.url, "--source", "rest")
    assert code == 0, err
    assert "latest 10 blocks" in out


def test_a_day_before_the_node_s_first_block_names_the_day(capsys, sim) -> None:
    chain = ServedChain.from_simulated(sim)
    with NodeSim(chain, rpc_user="u", rpc_password="p") as node:
        before = DAY - dt.timedelta(days=3)
        code, out, err = run(
            capsys,
            "price",
            "--date",
            str(before),
            "--node",
            node.url,
            "--rpc-user",
            "u",
            "--rpc-password",
            "p",
        )
    assert code == 2 and out == ""
    line = err.strip()
    assert "\n" not in line and str(before) in line
    assert "gave no block hash" not in line or "lacks" in line


def test_node_sim_takes_prune_below(capsys) -> None:
    import argparse

    from chainprice.nodesim.cli import add_arguments, build_node

    parser = argparse.ArgumentParser()
    add_arguments(parser)
    node, moving = build_node(parser.parse_args(["--prune-below", "845000", "--rpc-password", "p"]))
    assert node.prune_below == 845000 and moving is None
