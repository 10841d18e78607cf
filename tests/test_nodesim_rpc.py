"""The simulated node's JSON-RPC over real loopback HTTP: envelope, methods, auth, clients.

Shapes and messages are Bitcoin Core v28's; python-bitcoinrpc's
``AuthServiceProxy`` and python-bitcoinlib's ``RawProxy`` talk to it unmodified.
"""

from __future__ import annotations

import base64
import decimal
import http.client
import json
import statistics
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import bitcoin.core
import bitcoin.rpc
import pytest
import requests
from bitcoinrpc.authproxy import AuthServiceProxy, JSONRPCException

from chainprice.nodesim import NodeSim, ServedChain
from chainprice.simchain import compact_day

USER, PASSWORD = "alice", "s3cret"


@pytest.fixture(scope="module")
def chain() -> ServedChain:
    return ServedChain.from_spec(compact_day())


@pytest.fixture(scope="module")
def node(chain: ServedChain, tmp_path_factory: pytest.TempPathFactory) -> Iterator[NodeSim]:
    datadir = tmp_path_factory.mktemp("rpc-node")
    with NodeSim(chain, rpc_user=USER, rpc_password=PASSWORD, datadir=datadir) as running:
        yield running


@pytest.fixture(scope="module")
def session() -> Iterator[requests.Session]:
    with requests.Session() as s:
        s.auth = (USER, PASSWORD)
        yield s


def post(session: requests.Session, node: NodeSim, payload: Any) -> requests.Response:
    body = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
    return session.post(node.url, data=body, headers={"Content-Type": "application/json"})


def call(session: requests.Session, node: NodeSim, method: str, *params: Any) -> Any:
    reply = post(session, node, {"method": method, "params": list(params), "id": 1}).json()
    assert reply["error"] is None, reply
    return reply["result"]


def rpc_error(session: requests.Session, node: NodeSim, method: str, params: Any) -> tuple:
    reply = post(session, node, {"method": method, "params": params, "id": "e"})
    body = reply.json()
    assert body["result"] is None and body["id"] == "e"
    return reply.status_code, body["error"]["code"], body["error"]["message"]


# --- the envelope ----------------------------------------------------------------------------


def test_legacy_call_answers_result_error_and_id_in_core_order(node, session, chain):
    reply = post(session, node, {"jsonrpc": "1.0", "method": "getblockcount", "id": "x"})
    assert reply.status_code == 200
    assert reply.headers["Content-Type"] == "application/json"
    assert reply.text == f'{{"result":{chain.tip},"error":null,"id":"x"}}\n'
    assert "Server" not in reply.headers


def test_legacy_call_without_id_answers_without_id(node, session, chain):
    reply = post(session, node, {"method": "getblockcount"})
    assert reply.text == f'{{"result":{chain.tip},"error":null}}\n'


def test_jsonrpc2_success_has_no_error_key_and_errors_no_result_key(node, session, chain):
    ok = post(session, node, {"jsonrpc": "2.0", "method": "getblockcount", "id": 3})
    assert ok.status_code == 200
    assert ok.text == f'{{"jsonrpc":"2.0","result":{chain.tip},"id":3}}\n'
    missing = post(session, node, {"jsonrpc": "2.0", "method": "nosuch", "id": 4})
    assert missing.status_code == 200
    assert missing.json() == {
        "jsonrpc": "2.0",
        "error": {"code": -32601, "message": "Method not found"},
        "id": 4,
    }


def test_jsonrpc2_notification_is_run_but_not_answered(node, session):
    reply = post(session, node, {"jsonrpc": "2.0", "method": "getblockcount"})
    assert reply.status_code == 204
    assert reply.content == b""


@pytest.mark.parametrize(
    ("payload", "status", "code", "message"),
    [
        ({"method": "nosuch", "id": 1}, 404, -32601, "Method not found"),
        ({"method": "getblockhash", "params": [10**9], "id": 1}, 500, -8, None),
        ({"params": [], "id": 1}, 400, -32600, "Missing method"),
        ({"method": 7, "id": 1}, 400, -32600, "Method must be a string"),
        ({"method": "getblockcount", "params": 5, "id": 1}, 400, -32600, None),
        ({"method": "getblockcount", "jsonrpc": "3.0", "id": 1}, 400, -32600, None),
        ({"method": "getblockcount", "jsonrpc": 2, "id": 1}, 400, -32600, None),
    ],
)
def test_legacy_errors_use_cores_http_statuses(node, session, payload, status, code, message):
    reply = post(session, node, payload)
    assert reply.status_code == status
    body = reply.json()
    assert body["result"] is None and body["id"] == 1
    assert body["error"]["code"] == code
    if message:
        assert body["error"]["message"] == message


def test_body_that_is_not_json_is_a_parse_error_with_status_500(node, session):
    reply = post(session, node, b'{"method": "getblockcount"')
    assert reply.status_code == 500
    assert reply.text == (
        '{"result":null,"error":{"code":-32700,"message":"Parse error"},"id":null}\n'
    )
    scalar = post(session, node, b"17")
    assert scalar.status_code == 500
    assert scalar.json()["error"] == {"code": -32700, "message": "Top-level object parse error"}


def test_batch_answers_every_call_in_order_with_status_200(node, session, chain):
    batch = [
        {"jsonrpc": "2.0", "method": "getblockcount", "id": 1},
        {"method": "getblockhash", "params": [chain.start_height], "id": 2},
        {"jsonrpc": "2.0", "method": "getblockhash", "params": [-1], "id": 3},
        {"jsonrpc": "2.0", "method": "getblockcount"},
        {"method": "nosuch", "id": 5},
    ]
    reply = post(session, node, batch)
    assert reply.status_code == 200
    assert reply.json() == [
        {"jsonrpc": "2.0", "result": chain.tip, "id": 1},
        {"result": chain.hashes[0], "error": None, "id": 2},
        {
            "jsonrpc": "2.0",
            "error": {"code": -8, "message": "Block height out of range"},
            "id": 3,
        },
        {"result": None, "error": {"code": -32601, "message": "Method not found"}, "id": 5},
    ]


def test_batch_edge_cases_empty_all_notifications_and_invalid_members(node, session):
    assert post(session, node, []).json() == []
    only_notes = [{"jsonrpc": "2.0", "method": "ping"}, {"jsonrpc": "2.0", "method": "uptime"}]
    quiet = post(session, node, only_notes)
    assert quiet.status_code == 204 and quiet.content == b""
    mixed = post(session, node, [17, {"method": "ping", "id": 9}])
    assert mixed.json() == [
        {
            "result": None,
            "error": {"code": -32600, "message": "Invalid Request object"},
            "id": None,
        },
        {"result": None, "error": None, "id": 9},
    ]


def test_named_parameters_map_to_positions(node, session, chain):
    height = chain.start_height + 5
    named = post(session, node, {"method": "getblockhash", "params": {"height": height}, "id": 1})
    assert named.json()["result"] == chain.block_hash(height)
    block = {"blockhash": chain.block_hash(height), "verbose": False}
    raw = post(session, node, {"method": "getblock", "params": block, "id": 1}).json()
    assert bytes.fromhex(raw["result"]) == chain.raw(height)
    header = {"verbose": False, "blockhash": chain.block_hash(height)}
    hdr = post(session, node, {"method": "getblockheader", "params": header, "id": 1}).json()
    assert hdr["result"] == chain.raw(height)[:80].hex()
    mixed = {"args": [chain.block_hash(height)], "verbosity": 0}
    assert post(session, node, {"method": "getblock", "params": mixed, "id": 1}).json()[
        "result"
    ] == (chain.raw(height).hex())
    status, code, message = rpc_error(session, node, "getblockhash", {"height": 1, "foo": 2})
    assert (status, code, message) == (500, -8, "Unknown named parameter foo")


def test_argument_errors_carry_cores_codes_and_messages(node, session, chain):
    assert rpc_error(session, node, "getblockhash", ["12"]) == (
        500,
        -3,
        'Wrong type passed:\n{\n    "Position 1 (height)": '
        '"JSON value of type string is not of expected type number"\n}',
    )
    assert rpc_error(session, node, "getblockhash", [1.5]) == (
        500,
        -1,
        "JSON integer out of range",
    )
    status, code, message = rpc_error(session, node, "getblockhash", [])
    assert (status, code) == (500, -1)
    assert message.startswith("getblockhash height\n")
    assert rpc_error(session, node, "getblock", [chain.tip_hash, "0"])[1:] == (
        -3,
        "JSON value of type string is not of expected type number",
    )
    assert rpc_error(session, node, "getblock", ["abc"])[1:] == (
        -8,
        "blockhash must be of length 64 (not 3, for 'abc')",
    )
    assert rpc_error(session, node, "getblockheader", ["zz" * 32])[1:] == (
        -8,
        f"hash must be hexadecimal string (not '{'zz' * 32}')",
    )
    assert rpc_error(session, node, "getblock", ["00" * 32])[1:] == (-5, "Block not found")
    assert rpc_error(session, node, "getblockheader", ["00" * 32])[1:] == (-5, "Block not found")


def test_getblockhash_covers_exactly_the_served_heights(node, session, chain):
    assert call(session, node, "getblockhash", chain.start_height) == chain.hashes[0]
    assert call(session, node, "getblockhash", chain.tip) == chain.tip_hash
    for height in (chain.tip + 1, chain.start_height - 1, -1):
        assert rpc_error(session, node, "getblockhash", [height])[1:] == (
            -8,
            "Block height out of range",
        )


def test_chunked_request_bodies_are_read(node, chain):
    conn = http.client.HTTPConnection("127.0.0.1", node.port, timeout=10)
    token = base64.b64encode(f"{USER}:{PASSWORD}".encode()).decode()
    chunks = iter([b'{"method": "getblock', b'count", "id": 5}'])
    headers = {"Authorization": "Basic " + token, "Transfer-Encoding": "chunked"}
    conn.request("POST", "/", body=chunks, headers=headers, encode_chunked=True)
    assert json.loads(conn.getresponse().read()) == {"result": chain.tip, "error": None, "id": 5}
    conn.close()


def test_wallet_path_and_get_on_the_rpc_port(node, session, chain):
    wallet = session.post(node.url + "/wallet/w1", json={"method": "getblockcount", "id": 1})
    assert wallet.json()["result"] == chain.tip
    get = requests.get(node.url)
    assert get.status_code == 405
    assert get.text == "JSONRPC server handles only POST requests"
    assert requests.get(node.url + "/nowhere").status_code == 404


# --- the methods -----------------------------------------------------------------------------


def test_getblock_verbosity_0_is_the_raw_block_and_1_lists_txids(node, session, chain):
    height = chain.start_height + 10
    block_hash = chain.block_hash(height)
    raw = chain.raw(height)
    assert call(session, node, "getblock", block_hash, 0) == raw.hex()
    assert call(session, node, "getblock", block_hash, False) == raw.hex()
    parsed = bitcoin.core.CBlock.deserialize(raw)
    verbose = call(session, node, "getblock", block_hash)
    assert verbose["tx"] == [bitcoin.core.b2lx(tx.GetTxid()) for tx in parsed.vtx]
    stripped = sum(
        len(bitcoin.core.CTransaction(tx.vin, tx.vout, tx.nLockTime, tx.nVersion).serialize())
        for tx in parsed.vtx
    )
    assert verbose["size"] == len(raw)
    assert verbose["weight"] == parsed.GetWeight()
    assert verbose["strippedsize"] == len(raw) - sum(len(tx.serialize()) for tx in parsed.vtx) + (
        stripped
    )
    assert verbose["nTx"] == len(parsed.vtx)
    assert list(verbose)[-4:] == ["strippedsize", "size", "weight", "tx"]


def test_getblock_verbosity_2_decodes_every_transaction(node, session, chain):
    height = chain.start_height + 3
    reply = post(
        session, node, {"method": "getblock", "params": [chain.block_hash(height), 2], "id": 1}
    )
    assert '"value":' in reply.text
    block = reply.json(parse_float=decimal.Decimal)["result"]
    parsed = bitcoin.core.CBlock.deserialize(chain.raw(height))
    assert len(block["tx"]) == len(parsed.vtx)
    coinbase = block["tx"][0]
    assert set(coinbase["vin"][0]) == {"coinbase", "txinwitness", "sequence"}
    for tx_json, tx in zip(block["tx"], parsed.vtx, strict=True):
        assert tx_json["txid"] == bitcoin.core.b2lx(tx.GetTxid())
        assert tx_json["hash"] == bitcoin.core.b2lx(tx.GetHash())
        assert tx_json["weight"] == tx.calc_weight()
        assert bytes.fromhex(tx_json["hex"]) == tx.serialize()
        for out, txout in zip(tx_json["vout"], tx.vout, strict=True):
            assert out["value"] == decimal.Decimal(txout.nValue) / 10**8
            assert out["scriptPubKey"]["hex"] == txout.scriptPubKey.hex()
            assert out["scriptPubKey"]["desc"].rsplit("#", 1)[1].isalnum()
    assert "fee" not in block["tx"][1]


def test_getblock_amounts_have_eight_decimals(node, session, chain):
    reply = post(session, node, {"method": "getblock", "params": [chain.tip_hash, 2], "id": 1})
    coinbase_value = reply.text.split('"value":', 1)[1].split(",", 1)[0]
    whole, frac = coinbase_value.split(".")
    assert whole.isdigit() and len(frac) == 8


def test_getblockheader_fields_follow_the_chain(node, session, chain):
    height = chain.start_height + 20
    header = call(session, node, "getblockheader", chain.block_hash(height))
    times = chain.times[height - chain.start_height - 10 : height - chain.start_height + 1]
    assert header["height"] == height
    assert header["confirmations"] == chain.tip - height + 1
    assert header["time"] == chain.times[height - chain.start_height]
    assert header["mediantime"] == statistics.median_high(sorted(times))
    assert header["previousblockhash"] == chain.block_hash(height - 1)
    assert header["nextblockhash"] == chain.block_hash(height + 1)
    assert header["bits"] == "17030ecd"
    assert header["versionHex"] == f"{header['version']:08x}"
    assert list(header)[:4] == ["hash", "confirmations", "height", "version"]
    below = call(session, node, "getblockheader", chain.block_hash(height - 1))
    assert int(header["chainwork"], 16) > int(below["chainwork"], 16)
    tip = call(session, node, "getblockheader", chain.tip_hash)
    assert "nextblockhash" not in tip and tip["confirmations"] == 1
    assert call(session, node, "getblockheader", chain.tip_hash, False) == (
        chain.raw(chain.tip)[:80].hex()
    )


def test_chain_state_methods(node, session, chain):
    info = call(session, node, "getblockchaininfo")
    assert info["chain"] == "main"
    assert (info["blocks"], info["headers"]) == (chain.tip, chain.tip)
    assert info["bestblockhash"] == call(session, node, "getbestblockhash") == chain.tip_hash
    assert info["initialblockdownload"] is False and info["warnings"] == []
    assert info["difficulty"] == call(session, node, "getdifficulty")
    tips = call(session, node, "getchaintips")
    assert tips == [
        {"height": chain.tip, "hash": chain.tip_hash, "branchlen": 0, "status": "active"}
    ]


def test_mempool_methods_agree_with_each_other(node, session, chain):
    txids = call(session, node, "getrawmempool")
    assert txids == [e.tx.txid.hex() for e in chain.mempool] and len(txids) == 300
    verbose = call(session, node, "getrawmempool", True)
    assert list(verbose) == txids
    info = call(session, node, "getmempoolinfo")
    assert info["size"] == 300
    assert info["bytes"] == sum(entry["vsize"] for entry in verbose.values())
    child = next(t for t, e in verbose.items() if e["depends"])
    parent = verbose[child]["depends"][0]
    assert child in verbose[parent]["spentby"]
    assert verbose[child]["ancestorcount"] >= 2
    assert call(session, node, "getmempoolentry", child) == verbose[child]
    sequence = call(session, node, "getrawmempool", False, True)
    assert sequence["txids"] == txids
    assert rpc_error(session, node, "getrawmempool", [True, True])[1] == -8
    assert rpc_error(session, node, "getmempoolentry", ["00" * 32])[1:] == (
        -5,
        "Transaction not in mempool",
    )


def test_getrawtransaction_for_mempool_and_for_a_given_block(node, session, chain):
    entry = chain.mempool[0]
    txid = entry.tx.txid.hex()
    assert call(session, node, "getrawtransaction", txid) == entry.tx.raw.hex()
    verbose = call(session, node, "getrawtransaction", txid, 1)
    assert verbose["txid"] == txid and verbose["hex"] == entry.tx.raw.hex()
    assert "blockhash" not in verbose
    height = chain.start_height + 7
    confirmed = chain.stats(height).txids[3]
    assert rpc_error(session, node, "getrawtransaction", [confirmed])[1:] == (
        -5,
        "No such mempool transaction. Use -txindex or provide a block hash to enable "
        "blockchain transaction queries. Use gettransaction for wallet transactions.",
    )
    in_block = call(session, node, "getrawtransaction", confirmed, True, chain.block_hash(height))
    assert in_block["in_active_chain"] is True and in_block["txid"] == confirmed
    assert in_block["blockhash"] == chain.block_hash(height)
    assert in_block["confirmations"] == chain.tip - height + 1
    assert list(in_block)[-4:] == ["blockhash", "confirmations", "time", "blocktime"]
    assert rpc_error(session, node, "getrawtransaction", [txid, 0, "00" * 32])[1:] == (
        -5,
        "Block hash not found",
    )


def test_control_and_network_methods(node, session):
    network = call(session, node, "getnetworkinfo")
    assert network["version"] == 280100 and network["subversion"] == "/Satoshi:28.1.0/"
    assert isinstance(call(session, node, "uptime"), int)
    assert call(session, node, "ping") is None
    assert call(session, node, "getindexinfo") == {}
    overview = call(session, node, "help")
    assert "== Blockchain ==" in overview and 'getblock "blockhash" ( verbosity )' in overview
    assert call(session, node, "help", "getblockhash").startswith("getblockhash height\n")
    assert call(session, node, "help", "nosuch") == "help: unknown command: nosuch\n"


# --- authentication --------------------------------------------------------------------------


def test_missing_or_wrong_credentials_answer_401_with_an_empty_body(node):
    body = json.dumps({"method": "getblockcount", "id": 1})
    anonymous = requests.post(node.url, data=body)
    assert anonymous.status_code == 401
    assert anonymous.content == b""
    assert anonymous.headers["WWW-Authenticate"] == 'Basic realm="jsonrpc"'
    started = time.monotonic()
    wrong = requests.post(node.url, data=body, auth=(USER, "nope"))
    assert wrong.status_code == 401 and wrong.content == b""
    assert time.monotonic() - started >= 0.2
    garbage = requests.post(node.url, data=body, headers={"Authorization": "Basic !!!"})
    assert garbage.status_code == 401


def test_cookie_file_authenticates_and_is_removed_at_stop(chain, tmp_path):
    with NodeSim(chain, datadir=tmp_path) as node:
        cookie = node.cookie_path.read_text()
        user, secret = cookie.split(":")
        assert user == "__cookie__" and len(secret) == 64 and int(secret, 16) >= 0
        assert node.cookie_path.stat().st_mode & 0o777 == 0o600
        reply = requests.post(
            node.url, json={"method": "getblockcount", "id": 1}, auth=(user, secret)
        )
        assert reply.json()["result"] == chain.tip
        token = base64.b64encode(b"__cookie__:" + b"0" * 64).decode()
        stale = requests.post(node.url, json={}, headers={"Authorization": "Basic " + token})
        assert stale.status_code == 401
    assert not (tmp_path / ".cookie").exists()


def test_cookie_changes_at_every_start(chain, tmp_path):
    node = NodeSim(chain, rpc_user=USER, rpc_password=PASSWORD, datadir=tmp_path)
    with node:
        first = node.cookie_path.read_text()
        old_port = node.port
    with node:
        second = node.cookie_path.read_text()
        assert second != first
        reply = requests.post(node.url, json={"method": "ping", "id": 1}, auth=(USER, PASSWORD))
        assert reply.status_code == 200
    with pytest.raises(requests.ConnectionError):
        requests.post(f"http://127.0.0.1:{old_port}", json={}, timeout=2)


def test_a_node_needs_some_way_to_authenticate(chain):
    with pytest.raises(ValueError, match="rpc_password or a datadir"):
        NodeSim(chain)


# --- third-party clients ---------------------------------------------------------------------


def test_python_bitcoinrpc_authserviceproxy(node, chain):
    proxy = AuthServiceProxy(f"http://{USER}:{PASSWORD}@127.0.0.1:{node.port}")
    assert proxy.getblockcount() == chain.tip
    block_hash = proxy.getblockhash(chain.start_height + 1)
    assert bytes.fromhex(proxy.getblock(block_hash, 0)) == chain.raw(chain.start_height + 1)
    assert proxy.getblockheader(block_hash)["height"] == chain.start_height + 1
    fee = proxy.getmempoolinfo()["total_fee"]
    assert isinstance(fee, decimal.Decimal) and fee.as_tuple().exponent == -8
    with pytest.raises(JSONRPCException) as err:
        proxy.getblockhash(chain.tip + 1)
    assert err.value.code == -8 and err.value.message == "Block height out of range"


def test_python_bitcoinrpc_batches_need_the_pre_v28_reply_shape(chain, tmp_path):
    """Its ``batch_`` reads ``response['error']``, which Core v28 omits on 2.0 success."""
    with NodeSim(chain, rpc_user=USER, rpc_password=PASSWORD, legacy_jsonrpc=True) as node:
        proxy = AuthServiceProxy(f"http://{USER}:{PASSWORD}@127.0.0.1:{node.port}")
        heights = range(chain.start_height, chain.start_height + 5)
        hashes = proxy.batch_([["getblockhash", h] for h in heights])
        assert hashes == chain.hashes[:5]
        batch = [{"jsonrpc": "2.0", "method": "getblockcount", "id": 1}]
        reply = requests.post(node.url, json=batch, auth=(USER, PASSWORD)).json()
        assert reply == [{"result": chain.tip, "error": None, "id": 1}]


def test_python_bitcoinlib_rawproxy_with_a_cookie_and_a_conf_file(node, chain):
    conf = Path(node.cookie_path).with_name("bitcoin.conf")
    conf.write_text(f"rpcconnect=127.0.0.1\nrpcport={node.port}\n")
    proxy = bitcoin.rpc.RawProxy(btc_conf_file=str(conf))
    assert proxy.getblockcount() == chain.tip
    raw = proxy.getblock(proxy.getblockhash(chain.tip), 0)
    assert bytes.fromhex(raw) == chain.raw(chain.tip)
    assert proxy.getrawmempool()[:3] == [e.tx.txid.hex() for e in chain.mempool[:3]]
    with pytest.raises(bitcoin.rpc.InvalidParameterError):
        proxy.getblockhash(chain.tip + 1)
    with pytest.raises(bitcoin.rpc.InvalidAddressOrKeyError):
        proxy.getblockheader("00" * 32)


def test_python_bitcoinlib_rawproxy_with_a_service_url(node, chain):
    proxy = bitcoin.rpc.RawProxy(service_url=f"http://{USER}:{PASSWORD}@127.0.0.1:{node.port}")
    assert proxy.getbestblockhash() == chain.tip_hash
    assert proxy.getblockchaininfo()["blocks"] == chain.tip
