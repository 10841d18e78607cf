"""The JSON-RPC client against an in-process imitation of Bitcoin Core (unit level).

Integration against the simulated node over real sockets is in test_node_sim.py.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import responses
from conftest import golden_chain
from hypothesis import given, settings
from hypothesis import strategies as st

from chainprice.adapters.node import (
    AuthError,
    BadResponseError,
    ConfigError,
    FetchStats,
    NodeConfig,
    NotFoundError,
    RpcError,
    RpcSource,
)
from chainprice.adapters.node.headers import header_hash
from chainprice.adapters.node.hexjson import loads_hex_answer
from chainprice.adapters.node.http import HttpClient

URL = "http://node.test:8332/"
START = 834370  # first height of the golden chain g1_42k


def basic(user: str, password: str) -> str:
    return "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()


class FakeCore:
    """Answers JSON-RPC like Bitcoin Core for a few golden blocks (statuses, errors, batches)."""

    def __init__(self, n_blocks: int = 12) -> None:
        blocks = golden_chain("g1_42k").fetch(START, START + n_blocks)
        self.blocks = {b.height: bytes(b.data) for b in blocks}
        self.hashes = {h: header_hash(data) for h, data in self.blocks.items()}
        self.by_hash = {v: self.blocks[h] for h, v in self.hashes.items()}
        self.mempool = {"aa" * 32: b"\x01tx-a", "bb" * 32: b"\x02tx-b"}
        self.accepted = {basic("u", "p")}
        self.once: list[dict[str, Any]] = []  # error objects to answer (once each) before anything
        self.calls: list[str] = []

    @property
    def tip(self) -> int:
        return max(self.blocks)

    def result(self, method: str, params: list[Any]) -> Any:
        if method == "getblockcount":
            return self.tip
        if method == "getblockhash":
            if params[0] not in self.hashes:
                raise LookupError(-8, "Block height out of range")
            return self.hashes[params[0]]
        if method in ("getblock", "getblockheader"):
            if params[0] not in self.by_hash:
                raise LookupError(-5, "Block not found")
            block = self.by_hash[params[0]]
            return (block if method == "getblock" else block[:80]).hex()
        if method == "getrawmempool":
            return [*self.mempool, "cc" * 32]  # the last one leaves before it is asked for
        if method == "getrawtransaction":
            if params[0] not in self.mempool:
                raise LookupError(-5, "No such mempool or blockchain transaction")
            return self.mempool[params[0]].hex()
        raise LookupError(-32601, "Method not found")

    def answer(self, request: dict[str, Any]) -> dict[str, Any]:
        self.calls.append(request["method"])
        envelope: dict[str, Any] = {"result": None, "error": None, "id": request["id"]}
        if self.once:
            envelope["error"] = self.once.pop(0)
            return envelope
        try:
            envelope["result"] = self.result(request["method"], request["params"])
        except LookupError as exc:
            envelope["error"] = {"code": exc.args[0], "message": exc.args[1]}
        return envelope

    def __call__(self, request: Any) -> tuple[int, dict[str, str], str]:
        if request.headers.get("Authorization") not in self.accepted:
            return 401, {"WWW-Authenticate": 'Basic realm="jsonrpc"'}, ""
        payload = json.loads(request.body)
        if isinstance(payload, list):
            return 200, {}, json.dumps([self.answer(p) for p in payload])
        envelope = self.answer(payload)
        error = envelope["error"]
        status = 200 if error is None else 404 if error["code"] == -32601 else 500
        return status, {}, json.dumps(envelope)


@pytest.fixture
def core() -> Iterator[FakeCore]:
    fake = FakeCore()
    responses.start()
    responses.add_callback(responses.POST, URL, callback=fake)
    yield fake
    responses.stop()
    responses.reset()


def rpc(**settings: Any) -> RpcSource:
    config = NodeConfig(**{"rpc_user": "u", "rpc_password": "p", "backoff_base": 0, **settings})
    return RpcSource(URL, config, http=HttpClient(config, FetchStats(), sleep=lambda _: None))


def test_blocks_hashes_and_tip_come_back_as_the_node_holds_them(core: FakeCore) -> None:
    node = rpc()
    assert node.tip_height() == core.tip
    assert node.block_hash(START + 3) == core.hashes[START + 3]
    assert node.raw_block(core.hashes[START + 5]) == core.blocks[START + 5]


def test_header_ranges_take_two_batched_requests_and_stop_at_the_tip(core: FakeCore) -> None:
    node = rpc()
    headers = node.headers(START + 2, 50)
    assert headers == [core.blocks[h][:80] for h in range(START + 2, core.tip + 1)]
    assert len(responses.calls) == 2
    assert core.calls.count("getblockheader") == core.tip - START - 1


def test_header_ranges_split_into_parallel_batches(core: FakeCore) -> None:
    node = rpc(batch_size=4)
    assert node.headers(START, 12) == [core.blocks[h][:80] for h in range(START, START + 12)]
    assert len(responses.calls) == 6


def test_heights_the_node_lacks_are_not_found(core: FakeCore) -> None:
    node = rpc()
    with pytest.raises(NotFoundError, match=r"no block at height 5 \(getblockhash 5: Block height"):
        node.block_hash(5)
    with pytest.raises(NotFoundError, match=f"no block at height {core.tip + 1}"):
        node.headers(core.tip + 1, 10)
    with pytest.raises(NotFoundError, match=f"no block hash for height {START - 1}"):
        node.headers(START - 1, 10)
    with pytest.raises(NotFoundError, match=r"does not know 00+ \(getblock 0+ 0: Block not found"):
        node.raw_block("00" * 32)


def test_a_node_warming_up_is_waited_for(core: FakeCore) -> None:
    core.once = [{"code": -28, "message": "Loading block index..."}] * 2
    node = rpc()
    assert node.tip_height() == core.tip
    assert node.stats.retries == 2


def test_other_core_errors_name_the_call(core: FakeCore) -> None:
    node = rpc()
    with pytest.raises(RpcError, match="does not offer the RPC method getfoo") as caught:
        node.call("getfoo")
    assert caught.value.code == -32601
    core.once = [{"code": -1, "message": "boom"}]
    with pytest.raises(RpcError, match=r"refused getblockcount: boom \(RPC error -1\)"):
        node.tip_height()


def test_a_header_that_does_not_hash_to_its_block_is_refused(core: FakeCore) -> None:
    core.by_hash[core.hashes[START + 1]] = core.blocks[START + 2]
    with pytest.raises(BadResponseError, match=f"header for height {START + 1} does not hash"):
        rpc().headers(START, 3)


def test_mempool_transactions_that_left_meanwhile_are_skipped(core: FakeCore) -> None:
    assert sorted(rpc(batch_size=2).mempool_transactions()) == [b"\x01tx-a", b"\x02tx-b"]


def test_wrong_credentials_fail_at_once(core: FakeCore) -> None:
    with pytest.raises(AuthError, match="refused the credentials"):
        rpc(rpc_password="wrong").tip_height()
    assert len(responses.calls) == 1


def test_the_cookie_is_read_again_when_the_node_restarted(core: FakeCore, tmp_path: Path) -> None:
    cookie = tmp_path / ".cookie"
    cookie.write_text("__cookie__:" + "1" * 64)
    core.accepted = {basic("__cookie__", "1" * 64)}
    node = rpc(rpc_user=None, rpc_cookie=cookie)
    assert node.tip_height() == core.tip
    cookie.write_text("__cookie__:" + "2" * 64)  # the node restarted
    core.accepted = {basic("__cookie__", "2" * 64)}
    assert node.tip_height() == core.tip
    assert [c.response.status_code for c in responses.calls] == [200, 401, 200]
    core.accepted = set()  # a cookie that did not change is not tried again
    with pytest.raises(AuthError):
        node.tip_height()
    assert len(responses.calls) == 4


def test_a_missing_cookie_file_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"cannot read the node's cookie file .*\.cookie"):
        RpcSource(URL, NodeConfig(rpc_cookie=tmp_path / ".cookie"))
    (tmp_path / ".cookie").write_text("nocolon")
    with pytest.raises(ConfigError, match="does not hold user:password"):
        RpcSource(URL, NodeConfig(rpc_cookie=tmp_path / ".cookie"))


@responses.activate
def test_answers_that_are_not_json_rpc_are_retried_then_reported() -> None:
    responses.add(responses.POST, URL, status=500, body="<html>proxy error</html>")
    responses.add(responses.POST, URL, json={"result": 5, "error": None, "id": 1})
    node = rpc()
    assert node.tip_height() == 5
    responses.add(responses.POST, URL + "wallet/x", status=404, body="<html>nothing</html>")
    missing = RpcSource(URL + "wallet/x", NodeConfig())
    with pytest.raises(NotFoundError, match=r"has no JSON-RPC endpoint \(HTTP 404\)"):
        missing.tip_height()


@responses.activate
def test_batch_answers_are_matched_by_id_whatever_their_order() -> None:
    def shuffled(request: Any) -> tuple[int, dict[str, str], str]:
        calls = json.loads(request.body)
        answers = [{"jsonrpc": "2.0", "result": c["params"][0] * 10, "id": c["id"]} for c in calls]
        return 200, {}, json.dumps(answers[::-1])

    responses.add_callback(responses.POST, URL, callback=shuffled)
    assert rpc().batch([("echo", (1,)), ("echo", (2,)), ("echo", (3,))]) == [10, 20, 30]


def reference_decode(body: bytes) -> Any:
    envelope = json.loads(body)
    if isinstance(envelope, dict) and isinstance(envelope.get("result"), str):
        envelope["result"] = binascii.unhexlify(envelope["result"])
    return envelope


def spaces() -> st.SearchStrategy[str]:
    return st.text(alphabet=" \t\r\n", max_size=3)


@st.composite
def hex_answers(draw: st.DrawFn) -> bytes:
    """Valid JSON answers a node could send, with a hex result placed and spelt many ways."""
    data = draw(st.binary(max_size=300))
    text = data.hex()
    if draw(st.booleans()):
        text = text.upper()
    if text and draw(st.booleans()):  # an escaped digit: legal JSON, no shortcut possible
        text = "\\u00" + format(ord(text[0]), "x") + text[1:]
    members = [("result", '"' + text + '"'), ("id", draw(st.sampled_from(["1", '"x"', "null"])))]
    style = draw(st.sampled_from(["1.0", "2.0", "tricky"]))
    if style == "1.0":
        members.append(("error", "null"))
    elif style == "2.0":
        members.append(("jsonrpc", '"2.0"'))
    else:
        decoy = '"result"  :  "abcd"'
        members.append(("note", json.dumps(decoy)))
        members.append(("extra", '{"result":"0011"}'))
        if draw(st.booleans()):
            members.append(("result", '"beef"'))  # a duplicate key: the last one wins
    order = draw(st.permutations(members))
    sep = draw(spaces())
    body = "{" + ",".join(f'{sep}"{k}"{draw(spaces())}:{draw(spaces())}{v}' for k, v in order) + "}"
    return body.encode()


@settings(deadline=None, max_examples=500)
@given(hex_answers())
def test_fast_hex_decoding_equals_plain_json_decoding(body: bytes) -> None:
    assert loads_hex_answer(body) == reference_decode(body)


@pytest.mark.parametrize(
    "body",
    [b'{"result":"abc","error":null}', b'{"result":"zz","error":null}', b'{"result":"ab'],
)
def test_hex_results_that_are_not_bytes_are_refused(body: bytes) -> None:
    with pytest.raises(ValueError):
        loads_hex_answer(body)
