"""Injected faults happen at about the configured rates, deterministically, and are logged."""

from __future__ import annotations

import http.client
import json
import time
from collections import Counter

import pytest
import requests

from chainprice.core.block_parser import parse_block
from chainprice.core.errors import BlockParseError
from chainprice.nodesim import FaultPlan, NodeSim, ServedChain
from chainprice.simchain import compact_day

AUTH = ("u", "p")


@pytest.fixture(scope="module")
def chain() -> ServedChain:
    return ServedChain.from_spec(compact_day(), mempool_size=20)


def node(chain: ServedChain, **rates: float) -> NodeSim:
    return NodeSim(chain, faults=FaultPlan(**rates), rpc_user=AUTH[0], rpc_password=AUTH[1])


def fetch_rest(url: str, block_hash: str) -> tuple[int, bytes] | str:
    """One attempt on a fresh connection: ``(status, body)``, or what went wrong."""
    try:
        reply = requests.get(f"{url}/rest/block/{block_hash}.bin", timeout=10)
    except requests.ConnectionError:
        return "connection"
    except requests.exceptions.ChunkedEncodingError:
        return "incomplete"
    return reply.status_code, reply.content


def test_without_faults_each_block_is_fetched_exactly_once_and_logged(chain):
    with node(chain) as sim:
        for block_hash in chain.hashes:
            assert fetch_rest(sim.url, block_hash) == (200, chain.raw(chain.height_of(block_hash)))
        log = sim.request_log
    targets = Counter(r.target for r in log)
    assert set(targets) == {f"/rest/block/{h}.bin" for h in chain.hashes}
    assert set(targets.values()) == {1}
    assert {(r.protocol, r.status, r.fault) for r in log} == {("rest", 200, None)}


def test_error_rate_gives_503_and_500_with_core_bodies(chain):
    with node(chain, error_rate=0.3, seed=1) as sim:
        results = [fetch_rest(sim.url, h) for h in chain.hashes]
        log = sim.request_log
    statuses = Counter(r[0] for r in results)
    failed = statuses[503] + statuses[500]
    assert 0.18 * len(results) < failed < 0.42 * len(results)
    assert statuses[503] > 0 and statuses[500] > 0
    bodies = {r[0]: r[1] for r in results if r[0] != 200}
    assert bodies[503] == b"Work queue depth exceeded"
    assert bodies[500] == b"Internal error\r\n"
    logged = Counter(r.fault for r in log)
    assert logged["error_503"] == statuses[503] and logged["error_500"] == statuses[500]


def test_dropped_connections_get_no_answer_and_are_logged_with_status_0(chain):
    with node(chain, drop_rate=0.25, seed=2) as sim:
        results = [fetch_rest(sim.url, h) for h in chain.hashes]
        log = sim.request_log
    dropped = results.count("connection")
    assert 0.12 * len(results) < dropped < 0.38 * len(results)
    assert sum(1 for r in log if r.fault == "drop" and r.status == 0) == dropped


def test_truncated_blocks_are_cut_both_ways(chain):
    with node(chain, truncate_rate=0.5, seed=3) as sim:
        results = {h: fetch_rest(sim.url, h) for h in chain.hashes}
        log = sim.request_log
    short = {
        h: r
        for h, r in results.items()
        if r != "incomplete" and r[1] != chain.raw(chain.height_of(h))
    }
    incomplete = [h for h, r in results.items() if r == "incomplete"]
    assert 0.12 * len(results) < len(short) < 0.38 * len(results)
    assert 0.12 * len(results) < len(incomplete) < 0.38 * len(results)
    for block_hash, (status, body) in short.items():
        height = chain.height_of(block_hash)
        assert status == 200 and 0 < len(body) < len(chain.raw(height))
        assert chain.raw(height).startswith(body)
        with pytest.raises(BlockParseError):
            parse_block(height, body)
    faults = Counter(r.fault for r in log)
    assert faults["truncate_short"] == len(short) and faults["truncate_close"] == len(incomplete)


def test_short_truncation_keeps_the_content_length_honest(chain):
    with node(chain, truncate_rate=1.0, seed=4) as sim:
        for block_hash in chain.hashes[:40]:
            conn = http.client.HTTPConnection("127.0.0.1", sim.port, timeout=10)
            conn.request("GET", f"/rest/block/{block_hash}.hex")
            reply = conn.getresponse()
            try:
                body = reply.read()
            except http.client.IncompleteRead:
                continue
            finally:
                conn.close()
            assert int(reply.headers["Content-Length"]) == len(body)
            hex_text = body.rstrip(b"\n")
            assert len(hex_text) % 2 == 0
            assert len(hex_text) < 2 * len(chain.raw(chain.height_of(block_hash)))


def test_rpc_getblock_hex_is_truncated_inside_valid_json(chain):
    with node(chain, truncate_rate=1.0, seed=5) as sim:
        calls = [
            {"method": "getblock", "params": [h, 0], "id": i}
            for i, h in enumerate(chain.hashes[:6])
        ]
        cut_inside = 0
        for attempt in range(12):
            try:
                reply = requests.post(sim.url, data=json.dumps(calls), auth=AUTH, timeout=10)
                answers = reply.json()
            except requests.exceptions.ChunkedEncodingError:
                continue
            lengths = [len(a["result"]) for a in answers]
            full = [2 * len(chain.raw(chain.start_height + i)) for i in range(6)]
            assert sum(n < f for n, f in zip(lengths, full, strict=True)) == 1, attempt
            cut_inside += 1
        assert cut_inside > 0


def test_faults_only_hit_block_header_tip_and_price_data(chain):
    with node(chain, drop_rate=0.5, error_rate=0.5) as sim:
        for method in ("getmempoolinfo", "getrawmempool", "help", "uptime", "getnetworkinfo"):
            reply = requests.post(sim.url, json={"method": method, "id": 1}, auth=AUTH, timeout=10)
            assert reply.status_code == 200
        assert requests.get(f"{sim.url}/api/mempool/txids", timeout=10).status_code == 200
        outcomes = set()
        for _ in range(8):
            try:
                outcomes.add(requests.get(f"{sim.url}/api/v1/prices", timeout=10).status_code)
            except requests.ConnectionError:
                outcomes.add("drop")
        assert outcomes <= {500, 503, "drop"} and len(outcomes) > 1


def test_fault_draws_depend_on_seed_request_and_attempt_not_on_timing(chain):
    def run(seed: int) -> list:
        with node(chain, error_rate=0.5, seed=seed) as sim:
            for block_hash in chain.hashes[:30] * 2:
                fetch_rest(sim.url, block_hash)
            return [(r.target, r.fault) for r in sim.request_log]

    first, again, other = run(7), run(7), run(8)
    assert first == again
    assert first != other
    per_block = Counter((t, f) for t, f in first)
    assert any(per_block[(t, "error_503")] + per_block[(t, "error_500")] == 1 for t, _ in first)


def test_latency_delays_data_requests(chain):
    with node(chain, latency_ms=60) as sim:
        started = time.monotonic()
        requests.get(f"{sim.url}/api/blocks/tip/height", timeout=10)
        assert time.monotonic() - started >= 0.06
        started = time.monotonic()
        requests.get(f"{sim.url}/api/mempool", timeout=10)
        assert time.monotonic() - started < 0.06


def test_batch_is_logged_per_call_and_log_can_be_cleared(chain):
    with node(chain) as sim:
        calls = [
            {"method": "getblockhash", "params": [h], "id": h}
            for h in (chain.start_height, chain.tip)
        ]
        requests.post(sim.url, json=calls, auth=AUTH, timeout=10)
        log = sim.request_log
        assert [(r.protocol, r.target, r.params, r.status) for r in log] == [
            ("rpc", "getblockhash", [chain.start_height], 200),
            ("rpc", "getblockhash", [chain.tip], 200),
        ]
        sim.clear_log()
        assert sim.request_log == []


def test_fault_plan_refuses_impossible_rates():
    with pytest.raises(ValueError, match="sum to at most 1"):
        FaultPlan(error_rate=0.7, drop_rate=0.5)
    with pytest.raises(ValueError):
        FaultPlan(latency_ms=-1)
