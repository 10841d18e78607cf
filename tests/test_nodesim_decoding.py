"""Property and vector tests of what the simulated node parses and prints.

Transactions are checked against python-bitcoinlib (an independent
implementation), addresses and checksums against the BIPs' own vectors.
"""

from __future__ import annotations

import decimal
import json
import re

import bitcoin.core as bc
from bitcoin.core.script import CScript, CScriptWitness
from bitcoin.wallet import CBitcoinAddress
from hypothesis import given, settings
from hypothesis import strategies as st

from chainprice.nodesim.addresses import base58check, segwit_address, with_descriptor_checksum
from chainprice.nodesim.headers import is_hash_hex
from chainprice.nodesim.jsonwire import Amount, core_json
from chainprice.nodesim.prices import js_parse_int
from chainprice.nodesim.rest import _split_format
from chainprice.nodesim.scripts import script_asm, script_info, script_ops
from chainprice.nodesim.transactions import decode_tx

G_X = bytes.fromhex("79be667ef9dcbbac55a06295ce870b07029bfcdb2dce28d959f2815b16f81798")

small_bytes = st.binary(min_size=0, max_size=80)
txins = st.builds(
    bc.CTxIn,
    prevout=st.builds(
        bc.COutPoint, hash=st.binary(min_size=32, max_size=32), n=st.integers(0, 2**32 - 1)
    ),
    scriptSig=small_bytes.map(CScript),
    nSequence=st.integers(0, 2**32 - 1),
)
txouts = st.builds(
    bc.CTxOut, nValue=st.integers(0, 21 * 10**14), scriptPubKey=small_bytes.map(CScript)
)


@st.composite
def transactions(draw: st.DrawFn) -> bc.CTransaction:
    vin = draw(st.lists(txins, min_size=1, max_size=4))
    vout = draw(st.lists(txouts, min_size=1, max_size=4))
    witness = bc.CTxWitness()
    if draw(st.booleans()):
        stacks = [
            bc.CTxInWitness(CScriptWitness(draw(st.lists(small_bytes, max_size=3)))) for _ in vin
        ]
        if any(s.scriptWitness.stack for s in stacks):
            witness = bc.CTxWitness(stacks)
    return bc.CTransaction(
        vin, vout, draw(st.integers(0, 2**32 - 1)), draw(st.integers(1, 2**31 - 1)), witness
    )


@settings(max_examples=150, deadline=None)
@given(transactions(), st.binary(max_size=10))
def test_decode_tx_agrees_with_python_bitcoinlib(tx: bc.CTransaction, prefix: bytes):
    raw = tx.serialize()
    decoded, end = decode_tx(prefix + raw + b"tail", len(prefix))
    assert end == len(prefix) + len(raw)
    assert decoded.raw == raw
    assert decoded.txid.hex() == bc.b2lx(tx.GetTxid())
    assert decoded.wtxid.hex() == bc.b2lx(tx.GetHash())
    assert decoded.weight == tx.calc_weight()
    assert (decoded.version, decoded.locktime) == (tx.nVersion, tx.nLockTime)
    for mine, theirs in zip(decoded.inputs, tx.vin, strict=True):
        assert (mine.prev_txid, mine.vout) == (theirs.prevout.hash, theirs.prevout.n)
        assert (mine.script_sig, mine.sequence) == (bytes(theirs.scriptSig), theirs.nSequence)
    assert [(o.value, o.script) for o in decoded.outputs] == [
        (o.nValue, bytes(o.scriptPubKey)) for o in tx.vout
    ]
    stacks = [list(w.scriptWitness.stack) for w in tx.wit.vtxinwit] or [[] for _ in tx.vin]
    assert [list(i.witness) for i in decoded.inputs] == stacks


@settings(max_examples=60, deadline=None)
@given(transactions(), st.data())
def test_decode_tx_refuses_every_truncation(tx: bc.CTransaction, data: st.DataObject):
    raw = tx.serialize()
    cut = data.draw(st.integers(0, len(raw) - 1))
    try:
        decode_tx(raw[:cut])
    except ValueError:
        return
    raise AssertionError(f"decoded a transaction cut at {cut} of {len(raw)} bytes")


@given(st.binary(min_size=20, max_size=20), st.binary(min_size=32, max_size=32))
def test_addresses_agree_with_python_bitcoinlib(h20: bytes, h32: bytes):
    scripts = {
        "pubkeyhash": b"\x76\xa9\x14" + h20 + b"\x88\xac",
        "scripthash": b"\xa9\x14" + h20 + b"\x87",
        "witness_v0_keyhash": b"\x00\x14" + h20,
        "witness_v0_scripthash": b"\x00\x20" + h32,
    }
    for kind, script in scripts.items():
        info = script_info(script)
        assert info.type == kind
        assert info.address == str(CBitcoinAddress.from_scriptPubKey(CScript(script)))
        assert info.desc.startswith(f"addr({info.address})#") and len(info.desc.split("#")[1]) == 8


@given(
    st.lists(st.one_of(st.binary(min_size=1, max_size=75), st.integers(0x61, 0xB9)), max_size=12)
)
def test_asm_prints_one_word_per_op(items: list):
    script = b"".join(bytes([len(i)]) + i if isinstance(i, bytes) else bytes([i]) for i in items)
    ops, complete = script_ops(script)
    assert complete and len(ops) == len(items)
    words = script_asm(script).split(" ") if script else []
    assert len(words) == len(items)
    for word, item in zip(words, items, strict=True):
        if isinstance(item, bytes) and len(item) > 4:
            assert word == item.hex()
        elif isinstance(item, bytes):
            assert int(word) == _script_num(item)
        else:
            assert word.startswith("OP_")


def _script_num(data: bytes) -> int:
    magnitude = int.from_bytes(data, "little") & ~(0x80 << (8 * (len(data) - 1)))
    return -magnitude if data[-1] & 0x80 else magnitude


def test_asm_and_types_of_standard_scripts():
    h20 = bytes(range(20))
    assert script_asm(b"\x76\xa9\x14" + h20 + b"\x88\xac") == (
        f"OP_DUP OP_HASH160 {h20.hex()} OP_EQUALVERIFY OP_CHECKSIG"
    )
    commitment = bytes.fromhex("6a24aa21a9ed") + bytes(32)
    assert script_asm(commitment) == "OP_RETURN aa21a9ed" + "00" * 32
    assert script_info(commitment).type == "nulldata" and script_info(commitment).address is None
    assert script_info(commitment).desc.startswith(f"raw({commitment.hex()})#")
    assert script_asm(b"\x51\x20" + G_X) == f"1 {G_X.hex()}"
    assert script_asm(b"\x00\x14" + h20) == f"0 {h20.hex()}"
    assert script_asm(b"\x4c\x05ab") == "[error]"
    assert script_info(b"\x51\x02\x4e\x73").type == "anchor"
    assert script_info(b"\x52\x02\xab\xcd").type == "witness_unknown"
    assert script_info(b"\x00\x10" + bytes(16)).type == "nonstandard"
    key = b"\x02" + bytes(range(32))
    assert script_info(bytes([33]) + key + b"\xac").desc.startswith(f"pk({key.hex()})#")
    multi = b"\x51" + bytes([33]) + key + b"\x51\xae"
    assert script_info(multi).type == "multisig"
    assert script_info(multi).desc.startswith(f"multi(1,{key.hex()})#")


def test_taproot_outputs_get_rawtr_only_for_curve_points():
    on_curve = script_info(b"\x51\x20" + G_X)
    assert on_curve.type == "witness_v1_taproot"
    assert on_curve.address == "bc1p0xlxvlhemja6c4dqv22uapctqupfhlxm9h8z3k2e72q4k9hcz7vqzk5jj0"
    assert on_curve.desc.startswith(f"rawtr({G_X.hex()})#")
    off_curve = script_info(b"\x51\x20" + b"\xff" * 32)
    assert off_curve.desc.startswith(f"addr({off_curve.address})#")


def test_scriptsig_signatures_show_their_sighash_type():
    sig = bytes.fromhex("3044022001" + "11" * 31 + "022002" + "22" * 31 + "01")
    pubkey = b"\x02" + bytes(32)
    script_sig = bytes([len(sig)]) + sig + bytes([len(pubkey)]) + pubkey
    assert script_asm(script_sig, sighash_decode=True) == f"{sig[:-1].hex()}[ALL] {pubkey.hex()}"
    assert script_asm(script_sig) == f"{sig.hex()} {pubkey.hex()}"
    high_r = sig[:4] + b"\x81" + sig[5:]
    assert script_asm(bytes([len(high_r)]) + high_r, sighash_decode=True) == high_r.hex()


def test_bip_vectors():
    witness = bytes.fromhex("751e76e8199196d454941c45d1b3a323f1433bd6")
    assert segwit_address(0, witness) == "bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t4"
    assert (
        segwit_address(1, G_X) == "bc1p0xlxvlhemja6c4dqv22uapctqupfhlxm9h8z3k2e72q4k9hcz7vqzk5jj0"
    )
    assert with_descriptor_checksum("raw(deadbeef)") == "raw(deadbeef)#89f8spxm"
    assert base58check(0, bytes(20)) == "1111111111111111111114oLvT2"


json_values = st.recursive(
    st.none() | st.booleans() | st.integers(-(2**60), 2**60) | st.text(max_size=8),
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=5), inner, max_size=4)
    ),
    max_leaves=20,
)


@given(json_values)
def test_core_json_is_json(value):
    text = core_json(value)
    assert json.loads(text) == value


@given(st.integers(-(2**62), 2**62))
def test_amounts_print_with_eight_decimals(sats: int):
    text = core_json(Amount(sats))
    assert decimal.Decimal(text) == decimal.Decimal(sats) / 10**8
    assert len(text.split(".")[1]) == 8


@given(
    st.text(alphabet="0123456789abcdef", min_size=1, max_size=70),
    st.sampled_from(["bin", "hex", "json"]),
    st.text(max_size=10),
)
def test_rest_format_split(stem: str, ext: str, query: str):
    assert _split_format(f"{stem}.{ext}?{query}") == (stem, ext)
    assert _split_format(f"{stem}.xml") == (f"{stem}.xml", "")
    assert _split_format(stem) == (stem, "")


@given(st.text(alphabet="0123456789abcdefABCDEFg ²", min_size=62, max_size=66))
def test_hash_parameters_are_exactly_64_hex_digits(text: str):
    assert is_hash_hex(text) == bool(re.fullmatch("[0-9a-fA-F]{64}", text))


@given(st.integers(-(10**12), 10**12), st.text(alphabet="abc .x-", max_size=6))
def test_timestamp_parameter_reads_like_parseint(number: int, suffix: str):
    assert js_parse_int(f"  {number}{suffix}") == number
    assert js_parse_int(f"x{number}") == 0
    assert js_parse_int(None) == 0
