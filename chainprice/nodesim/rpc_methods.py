"""The RPC methods the simulated node answers, with Core's argument rules and messages.

Arguments are checked as Core's ``RPCHelpMan`` checks them: named
parameters are mapped to positions, a wrong count answers -1 with the
method's help text, a wrong JSON type -3 "Wrong type passed", a malformed
hash -8, an unknown block or transaction -5.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from chainprice.nodesim.headers import difficulty, is_hash_hex, uint256_hex
from chainprice.nodesim.jsonwire import Amount, RawJson, amount_text, core_json, core_json_indented
from chainprice.nodesim.served_chain import MempoolEntry, ServedChain
from chainprice.nodesim.transactions import decode_block_txs, tx_json

RPC_MISC_ERROR = -1
PRUNED_MESSAGE = "Block not available (pruned data)"
RPC_TYPE_ERROR = -3
RPC_INVALID_ADDRESS_OR_KEY = -5
RPC_INVALID_PARAMETER = -8
RPC_METHOD_NOT_FOUND = -32601

CORE_VERSION = 280100
SUBVERSION = "/Satoshi:28.1.0/"
PROTOCOL_VERSION = 70016
MIN_RELAY_FEE = 1000
"""sat/kvB, Core's default -minrelaytxfee (and incremental relay fee)."""
MAX_MEMPOOL = 300_000_000
INT32 = 2**31
HELP_TYPES = {"string": "string", "number": "numeric", "bool": "boolean"}


class RpcError(Exception):
    def __init__(self, code: int, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


@dataclass(frozen=True)
class RawHex:
    """A result that is a cached hex string, spliced into the reply as is."""

    hex: bytes


@dataclass(frozen=True)
class Arg:
    names: str
    """Core's ``m_names``, aliases separated by ``|`` (``verbosity|verbose``)."""
    type: str | None
    """The JSON type Core checks before the call, or ``None`` when it checks it itself."""
    optional: bool = False


@dataclass(frozen=True)
class Method:
    name: str
    args: tuple[Arg, ...]
    category: str
    summary: str
    data: bool
    """Whether injected faults apply (block, header, tip and chain data)."""
    run: Callable[[list[Any]], Any]

    def help(self) -> str:
        lines = [self.usage(), "", self.summary]
        if self.args:
            lines += ["", "Arguments:"]
            for n, arg in enumerate(self.args, 1):
                need = "optional" if arg.optional else "required"
                kind = HELP_TYPES.get(arg.type, "numeric")
                lines.append(f"{n}. {arg.names.split('|')[0]}    ({kind}, {need})")
        return "\n".join(lines) + "\n"

    def usage(self) -> str:
        words = [self.name]
        for arg in self.args:
            name = arg.names.split("|")[0]
            shown = f'"{name}"' if arg.type == "string" else name
            words.append(f"( {shown} )" if arg.optional else shown)
        return " ".join(words)


_S, _N, _B = "string", "number", "bool"
METHODS = (
    ("getbestblockhash", (), "Blockchain", "Returns the hash of the best (tip) block.", True),
    (
        "getblock",
        (Arg("blockhash", _S), Arg("verbosity|verbose", None, True)),
        "Blockchain",
        "If verbosity is 0, returns a string that is serialized, hex-encoded data for block "
        "'hash'.\nIf verbosity is 1, returns an Object with information about block <hash>.\n"
        "If verbosity is 2, returns an Object with information about block <hash> and "
        "information about each transaction.",
        True,
    ),
    (
        "getblockchaininfo",
        (),
        "Blockchain",
        "Returns an object containing various state info regarding blockchain processing.",
        True,
    ),
    (
        "getblockcount",
        (),
        "Blockchain",
        "Returns the height of the most-work fully-validated chain.",
        True,
    ),
    (
        "getblockhash",
        (Arg("height", _N),),
        "Blockchain",
        "Returns hash of block in best-block-chain at height provided.",
        True,
    ),
    (
        "getblockheader",
        (Arg("blockhash", _S), Arg("verbose", _B, True)),
        "Blockchain",
        "If verbose is false, returns a string that is serialized, hex-encoded data for "
        "blockheader 'hash'.\nIf verbose is true, returns an Object with information about "
        "blockheader <hash>.",
        True,
    ),
    (
        "getchaintips",
        (),
        "Blockchain",
        "Return information about all known tips in the block tree.",
        True,
    ),
    (
        "getdifficulty",
        (),
        "Blockchain",
        "Returns the proof-of-work difficulty as a multiple of the minimum difficulty.",
        True,
    ),
    (
        "getmempoolentry",
        (Arg("txid", _S),),
        "Blockchain",
        "Returns mempool data for given transaction",
        False,
    ),
    (
        "getmempoolinfo",
        (),
        "Blockchain",
        "Returns details on the active state of the TX memory pool.",
        False,
    ),
    (
        "getrawmempool",
        (Arg("verbose", _B, True), Arg("mempool_sequence", _B, True)),
        "Blockchain",
        "Returns all transaction ids in memory pool as a json array of string transaction ids.",
        False,
    ),
    (
        "help",
        (Arg("command", _S, True),),
        "Control",
        "List all commands, or get help for a specified command.",
        False,
    ),
    ("uptime", (), "Control", "Returns the total uptime of the server.", False),
    (
        "getnetworkinfo",
        (),
        "Network",
        "Returns an object containing various state info regarding P2P networking.",
        False,
    ),
    (
        "ping",
        (),
        "Network",
        "Requests that a ping be sent to all other nodes, to measure ping time.",
        False,
    ),
    (
        "getrawtransaction",
        (Arg("txid", _S), Arg("verbosity|verbose", None, True), Arg("blockhash", _S, True)),
        "Rawtransactions",
        "By default, this call only returns a transaction if it is in the mempool.\nIf a "
        "blockhash argument is passed, it will return the transaction if the specified block "
        "is available and the transaction is in that block.",
        False,
    ),
    (
        "getindexinfo",
        (Arg("index_name", _S, True),),
        "Util",
        "Returns the status of one or all available indices currently running in the node.",
        False,
    ),
)
"""``(name, args, category, summary, data)``; ``data`` marks calls that injected faults hit."""


def _json_type(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, int | float):
        return "number"
    if isinstance(value, str):
        return "string"
    return "array" if isinstance(value, list) else "object"


def _get_int(value: Any) -> int:
    """UniValue's ``getInt<int>``: a number written as an integer that fits 32 bits."""
    if _json_type(value) != "number":
        raise RpcError(
            RPC_TYPE_ERROR, f"JSON value of type {_json_type(value)} is not of expected type number"
        )
    if isinstance(value, float) or not -INT32 <= value < INT32:
        raise RpcError(RPC_MISC_ERROR, "JSON integer out of range")
    return int(value)


def _verbosity(value: Any, default: int) -> int:
    """A bool (false/true = 0/1) or an integer, as getblock and getrawtransaction accept."""
    if value is None:
        return default
    return int(value) if isinstance(value, bool) else _get_int(value)


def _parse_hash(value: str, name: str) -> str:
    """Core's ``ParseHashV``: 64 hex digits, named in the error as Core names them."""
    if len(value) != 64:
        raise RpcError(
            RPC_INVALID_PARAMETER,
            f"{name} must be of length 64 (not {len(value)}, for '{value}')",
        )
    if not is_hash_hex(value):
        raise RpcError(RPC_INVALID_PARAMETER, f"{name} must be hexadecimal string (not '{value}')")
    return value.lower()


def _positional(method: Method, params: dict[str, Any]) -> list[Any]:
    """Core's ``transformNamedArguments``: named values to positions, nulls in the holes.

    An ``args`` array fills the first positions, as Core allows for mixing
    positional and named parameters.
    """
    out: list[Any] = []
    remaining = dict(params)
    hole = 0
    first_named: tuple[int, str] | None = None
    for position, arg in enumerate(method.args):
        name = next((n for n in arg.names.split("|") if n in remaining), None)
        if name is None:
            hole += 1
            continue
        first_named = first_named or (position, name)
        out += [None] * hole + [remaining.pop(name)]
        hole = 0
    positional = remaining.get("args")
    if isinstance(positional, list):
        del remaining["args"]
        if first_named is not None and first_named[0] < len(positional):
            raise RpcError(
                RPC_INVALID_PARAMETER,
                f"Parameter {first_named[1]} specified twice both as positional and named argument",
            )
        out = positional + out[len(positional) :]
    if remaining:
        raise RpcError(RPC_INVALID_PARAMETER, f"Unknown named parameter {next(iter(remaining))}")
    return out


class RpcMethods:
    """The method table over one served chain."""

    def __init__(self, chain: ServedChain, prune_below: int | None = None) -> None:
        self.chain = chain
        self.prune_below = prune_below
        """Blocks below this height answer as a pruned Core does (headers stay)."""
        self.started = time.monotonic()
        self.table = {spec[0]: Method(*spec, run=getattr(self, f"_{spec[0]}")) for spec in METHODS}
        self._entry_texts: dict[str, tuple[MempoolEntry, tuple[Any, ...] | None, str]] = {}
        """txid -> (entry, family, text) of ``mempool_entry_text``."""

    def is_data(self, name: str) -> bool:
        method = self.table.get(name)
        return method is not None and method.data

    def returns_block(self, name: str, params: Any) -> bool:
        """Whether the call answers a raw block (getblock at verbosity 0)."""
        if name != "getblock":
            return False
        level = params.get("verbosity", params.get("verbose")) if isinstance(params, dict) else None
        if isinstance(params, list) and len(params) > 1:
            level = params[1]
        return level is not None and not isinstance(level, str) and level in (0, False)

    def execute(self, name: str, params: list[Any] | dict[str, Any]) -> Any:
        method = self.table.get(name)
        if method is None:
            raise RpcError(RPC_METHOD_NOT_FOUND, "Method not found")
        args = _positional(method, params) if isinstance(params, dict) else list(params)
        required = max((i + 1 for i, a in enumerate(method.args) if not a.optional), default=0)
        if not required <= len(args) <= len(method.args):
            raise RpcError(RPC_MISC_ERROR, method.help())
        mismatch = {}
        for i, arg in enumerate(method.args):
            value = args[i] if i < len(args) else None
            if arg.type is None or (arg.optional and value is None):
                continue
            if _json_type(value) != arg.type:
                mismatch[f"Position {i + 1} ({arg.names})"] = (
                    f"JSON value of type {_json_type(value)} is not of expected type {arg.type}"
                )
        if mismatch:
            raise RpcError(RPC_TYPE_ERROR, "Wrong type passed:\n" + core_json_indented(mismatch))
        return method.run(args + [None] * (len(method.args) - len(args)))

    def _height(self, block_hash: str) -> int:
        height = self.chain.height_of(block_hash)
        if height is None:
            raise RpcError(RPC_INVALID_ADDRESS_OR_KEY, "Block not found")
        return height

    def header_json(self, height: int) -> dict[str, Any]:
        """Core's ``blockheaderToJSON`` (also REST ``headers/*.json``)."""
        chain = self.chain
        header = chain.header(height)
        out: dict[str, Any] = {
            "hash": chain.block_hash(height),
            "confirmations": chain.tip - height + 1,
            "height": height,
            "version": header.version,
            "versionHex": f"{header.version:08x}",
            "merkleroot": header.merkle_root,
            "time": header.time,
            "mediantime": chain.median_time(height),
            "nonce": header.nonce,
            "bits": f"{header.bits:08x}",
            "difficulty": difficulty(header.bits),
            "chainwork": uint256_hex(chain.chainwork(height)),
            "nTx": chain.n_tx(height),
            "previousblockhash": header.prev_hash,
        }
        if height < chain.tip:
            out["nextblockhash"] = chain.block_hash(height + 1)
        return out

    def block_json(self, height: int, verbosity: int) -> dict[str, Any]:
        """Core's ``blockToJSON``: txids at verbosity 1, decoded transactions above."""
        stats = self.chain.stats(height)
        out = self.header_json(height)
        out |= {"strippedsize": stats.stripped_size, "size": stats.size, "weight": stats.weight}
        if verbosity == 1:
            out["tx"] = stats.txids
        else:
            out["tx"] = [tx_json(tx) for tx in decode_block_txs(self.chain.raw(height))]
        return out

    def _getbestblockhash(self, args: list[Any]) -> str:
        return self.chain.tip_hash

    def _getblockcount(self, args: list[Any]) -> int:
        return self.chain.tip

    def _getdifficulty(self, args: list[Any]) -> float:
        return difficulty(self.chain.header(self.chain.tip).bits)

    def _getblockhash(self, args: list[Any]) -> str:
        height = _get_int(args[0])
        if not self.chain.has_height(height):
            raise RpcError(RPC_INVALID_PARAMETER, "Block height out of range")
        return self.chain.block_hash(height)

    def _getblockheader(self, args: list[Any]) -> Any:
        height = self._height(_parse_hash(args[0], "hash"))
        if args[1] is False:
            return self.chain.raw(height)[:80].hex()
        return self.header_json(height)

    def is_pruned(self, height: int) -> bool:
        return self.prune_below is not None and height < self.prune_below

    def _getblock(self, args: list[Any]) -> Any:
        height = self._height(_parse_hash(args[0], "blockhash"))
        if self.is_pruned(height):
            raise RpcError(RPC_MISC_ERROR, PRUNED_MESSAGE)
        verbosity = _verbosity(args[1], 1)
        if verbosity <= 0:
            return RawHex(self.chain.hex(height))
        return self.block_json(height, min(verbosity, 2))

    def blockchain_info(self) -> dict[str, Any]:
        """Core's ``getblockchaininfo`` (also REST ``chaininfo.json``)."""
        chain = self.chain
        tip = chain.header(chain.tip)
        info: dict[str, Any] = {
            "chain": chain.network,
            "blocks": chain.tip,
            "headers": chain.tip,
            "bestblockhash": chain.tip_hash,
            "difficulty": difficulty(tip.bits),
            "time": tip.time,
            "mediantime": chain.median_time(chain.tip),
            "verificationprogress": 1.0,
            "initialblockdownload": False,
            "chainwork": uint256_hex(chain.chainwork(chain.tip)),
            "size_on_disk": chain.size_on_disk,
            "pruned": False,
            "warnings": [],
        }
        if self.prune_below is not None:  # Core adds these two only when pruning
            info |= {
                "pruned": True,
                "pruneheight": max(self.prune_below, chain.start_height),
                "automatic_pruning": False,
            }
        return info

    def _getblockchaininfo(self, args: list[Any]) -> dict[str, Any]:
        return self.blockchain_info()

    def _getchaintips(self, args: list[Any]) -> list[dict[str, Any]]:
        chain = self.chain
        return [{"height": chain.tip, "hash": chain.tip_hash, "branchlen": 0, "status": "active"}]

    def mempool_entry_text(self, entry: MempoolEntry) -> str:
        """Core's mempool ``entryToJSON`` as text, written once per entry and family.

        The text depends only on the entry and on which transactions are its
        ancestors, descendants and children, so it is kept until one of those
        changes: a verbose mempool answer is then a join of kept texts, as fast
        as a real node's (a 50,000-entry pool is ~23 MB of JSON).
        """
        chain = self.chain
        txid = entry.tx.txid.hex()
        children = chain.mempool_children(txid)
        anc = desc = [entry]
        family = None
        if entry.parents or children:  # most entries are alone: no closure to walk
            # a growing mempool may drop a relative mid-answer: skip what is gone
            parents = lambda t: getattr(chain.mempool_entry(t), "parents", ())  # noqa: E731
            ancestors = self._closure(txid, parents) if entry.parents else [txid]
            descendants = self._closure(txid, chain.mempool_children) if children else [txid]
            anc = [e for e in map(chain.mempool_entry, ancestors) if e is not None] or [entry]
            desc = [e for e in map(chain.mempool_entry, descendants) if e is not None] or [entry]
            family = (
                tuple(e.tx.txid for e in anc),
                tuple(e.tx.txid for e in desc),
                tuple(children),
            )
        kept = self._entry_texts.get(txid)
        if kept is not None and kept[0] is entry and kept[1] == family:
            return kept[2]
        tx = entry.tx
        signals = any(i.sequence < 0xFFFFFFFE for e in anc for i in e.tx.inputs)
        fee = amount_text(entry.fee)
        text = (
            f'{{"vsize":{tx.vsize},"weight":{tx.weight},"time":{entry.time},'
            f'"height":{entry.height},"descendantcount":{len(desc)},'
            f'"descendantsize":{sum(e.tx.vsize for e in desc)},"ancestorcount":{len(anc)},'
            f'"ancestorsize":{sum(e.tx.vsize for e in anc)},"wtxid":"{tx.wtxid.hex()}",'
            f'"fees":{{"base":{fee},"modified":{fee},'
            f'"ancestor":{amount_text(sum(e.fee for e in anc))},'
            f'"descendant":{amount_text(sum(e.fee for e in desc))}}},'
            f'"depends":{core_json(list(entry.parents))},"spentby":{core_json(children)},'
            f'"bip125-replaceable":{core_json(signals)},"unbroadcast":false}}'
        )
        self._entry_texts[txid] = (entry, family, text)
        return text

    @staticmethod
    def _closure(start: str, step: Callable[[str], Any]) -> list[str]:
        """``start`` and every txid reachable from it by ``step`` (itself counted, as Core does)."""
        seen = [start]
        for txid in seen:
            seen += [t for t in step(txid) if t not in seen]
        return seen

    def _getmempoolentry(self, args: list[Any]) -> RawJson:
        entry = self.chain.mempool_entry(_parse_hash(args[0], "parameter 1"))
        if entry is None:
            raise RpcError(RPC_INVALID_ADDRESS_OR_KEY, "Transaction not in mempool")
        return RawJson(self.mempool_entry_text(entry))

    def mempool_info(self) -> dict[str, Any]:
        """Core's ``getmempoolinfo`` (also REST ``mempool/info.json``)."""
        pool = self.chain.mempool
        return {
            "loaded": True,
            "size": len(pool),
            "bytes": sum(e.tx.vsize for e in pool),
            "usage": sum(e.tx.size for e in pool) * 3,
            "total_fee": Amount(sum(e.fee for e in pool)),
            "maxmempool": MAX_MEMPOOL,
            "mempoolminfee": Amount(MIN_RELAY_FEE),
            "minrelaytxfee": Amount(MIN_RELAY_FEE),
            "incrementalrelayfee": Amount(MIN_RELAY_FEE),
            "unbroadcastcount": 0,
            "fullrbf": True,
        }

    def _getmempoolinfo(self, args: list[Any]) -> dict[str, Any]:
        return self.mempool_info()

    def raw_mempool(self, verbose: bool, sequence: bool) -> Any:
        """Core's ``MempoolToJSON`` (also REST ``mempool/contents.json``), lists as JSON text."""
        pool = self.chain.mempool
        if verbose:
            texts = [f'"{e.tx.txid.hex()}":{self.mempool_entry_text(e)}' for e in pool]
            if len(self._entry_texts) > 2 * len(pool):  # forget entries that left
                live = self.chain.mempool_entry
                self._entry_texts = {t: v for t, v in self._entry_texts.items() if live(t)}
            return RawJson("{" + ",".join(texts) + "}")
        txids = RawJson("[" + ",".join([f'"{e.tx.txid.hex()}"' for e in pool]) + "]")
        return {"txids": txids, "mempool_sequence": len(pool)} if sequence else txids

    def _getrawmempool(self, args: list[Any]) -> Any:
        verbose, sequence = bool(args[0]), bool(args[1])
        if verbose and sequence:
            raise RpcError(
                RPC_INVALID_PARAMETER,
                "Verbose results cannot contain mempool sequence values.",
            )
        return self.raw_mempool(verbose, sequence)

    def _getrawtransaction(self, args: list[Any]) -> Any:
        txid = _parse_hash(args[0], "parameter 1")
        verbosity = _verbosity(args[1], 0)
        block_hash = None if args[2] is None else _parse_hash(args[2], "parameter 3")
        tx = None
        if block_hash is not None:
            height = self.chain.height_of(block_hash)
            if height is None:
                raise RpcError(RPC_INVALID_ADDRESS_OR_KEY, "Block hash not found")
            tx = self.chain.find_in_block(height, txid)
            if tx is None:
                raise RpcError(
                    RPC_INVALID_ADDRESS_OR_KEY,
                    "No such transaction found in the provided block. "
                    "Use gettransaction for wallet transactions.",
                )
        else:
            entry = self.chain.mempool_entry(txid)
            if entry is None:
                raise RpcError(
                    RPC_INVALID_ADDRESS_OR_KEY,
                    "No such mempool transaction. Use -txindex or provide a block hash to enable "
                    "blockchain transaction queries. Use gettransaction for wallet transactions.",
                )
            tx = entry.tx
        if verbosity <= 0:
            return RawJson(f'"{tx.raw.hex()}"')  # hex needs no escaping: no encoder pass
        out: dict[str, Any] = {}
        if block_hash is not None:
            out["in_active_chain"] = True
        out |= tx_json(tx)
        if block_hash is not None:
            height = self.chain.height_of(block_hash)
            out["blockhash"] = block_hash
            out["confirmations"] = self.chain.tip - height + 1
            out["time"] = out["blocktime"] = self.chain.header(height).time
        return out

    def _help(self, args: list[Any]) -> str:
        if args[0] is not None:
            method = self.table.get(args[0])
            return method.help() if method else f"help: unknown command: {args[0]}\n"
        lines: list[str] = []
        for category in dict.fromkeys(m.category for m in self.table.values()):
            lines += ["", f"== {category} =="] if lines else [f"== {category} =="]
            lines += sorted(m.usage() for m in self.table.values() if m.category == category)
        return "\n".join(lines)

    def _uptime(self, args: list[Any]) -> int:
        return int(time.monotonic() - self.started)

    def _ping(self, args: list[Any]) -> None:
        return None

    def _getindexinfo(self, args: list[Any]) -> dict[str, Any]:
        return {}

    def _getnetworkinfo(self, args: list[Any]) -> dict[str, Any]:
        def network(name: str, reachable: bool) -> dict[str, Any]:
            return {
                "name": name,
                "limited": not reachable,
                "reachable": reachable,
                "proxy": "",
                "proxy_randomize_credentials": False,
            }

        return {
            "version": CORE_VERSION,
            "subversion": SUBVERSION,
            "protocolversion": PROTOCOL_VERSION,
            "localservices": "0000000000000c09",
            "localservicesnames": ["NETWORK", "WITNESS", "NETWORK_LIMITED", "P2P_V2"],
            "localrelay": self.chain.relay,
            "timeoffset": 0,
            "networkactive": True,
            "connections": 0,
            "connections_in": 0,
            "connections_out": 0,
            "networks": [
                network("ipv4", True),
                network("ipv6", True),
                network("onion", False),
                network("i2p", False),
                network("cjdns", False),
            ],
            "relayfee": Amount(MIN_RELAY_FEE),
            "incrementalfee": Amount(MIN_RELAY_FEE),
            "localaddresses": [],
            "warnings": [],
        }
