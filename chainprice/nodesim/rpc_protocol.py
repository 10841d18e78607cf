"""Bitcoin Core's JSON-RPC envelope, as its HTTP handler (v28) answers.

- A request without ``"jsonrpc"`` (or with ``"1.0"``) is legacy: the reply
  holds ``result``, ``error`` and ``id``; an error answers HTTP 500, or 404
  for an unknown method, 400 for an invalid request.
- ``"jsonrpc": "2.0"``: the reply holds ``jsonrpc``, then ``result`` or
  ``error``, then ``id``, always with HTTP 200; without an ``id`` it is a
  notification, run but not answered (204).
- A batch (JSON array) always answers 200, one reply per call that is not a
  notification, in order; a batch of notifications only answers 204.
- A body that is not JSON answers -32700 "Parse error" with HTTP 500.

``legacy_jsonrpc`` answers 2.0 requests the way Core did before v28 (the
legacy shape), for clients written against those versions.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from chainprice.nodesim.faults import Fault
from chainprice.nodesim.jsonwire import RawJson, core_json
from chainprice.nodesim.reply import JSON_TYPE, Exchange, Reply, work_queue_full
from chainprice.nodesim.rpc_methods import RPC_METHOD_NOT_FOUND, RawHex, RpcError, RpcMethods

RPC_INVALID_REQUEST = -32600
RPC_INTERNAL_ERROR = -32603
RPC_PARSE_ERROR = -32700


@dataclass
class _Call:
    """One parsed call; ``id`` is absent (``has_id`` False) for notifications."""

    v2: bool = False
    has_id: bool = True
    id: Any = None
    method: str = ""
    params: Any = None

    @property
    def notification(self) -> bool:
        return self.v2 and not self.has_id


def _parse_call(value: Any, call: _Call, legacy: bool) -> None:
    """Core's ``JSONRPCRequest::parse``: fills ``call`` field by field, raising on the first fault.

    Like Core, the id and version are set before the method is checked, so
    an error about the method already answers with them.
    """
    if not isinstance(value, dict):
        raise RpcError(RPC_INVALID_REQUEST, "Invalid Request object")
    call.has_id = "id" in value
    call.id = value.get("id")
    call.v2 = False
    version = value.get("jsonrpc")
    if version is not None:
        if not isinstance(version, str):
            raise RpcError(RPC_INVALID_REQUEST, "jsonrpc field must be a string")
        if version not in ("1.0", "2.0"):
            raise RpcError(RPC_INVALID_REQUEST, "JSON-RPC version not supported")
        call.v2 = version == "2.0" and not legacy
    if legacy:
        call.has_id = True
    method = value.get("method")
    if method is None:
        raise RpcError(RPC_INVALID_REQUEST, "Missing method")
    if not isinstance(method, str):
        raise RpcError(RPC_INVALID_REQUEST, "Method must be a string")
    call.method = method
    params = value.get("params")
    if params is None:
        params = []
    elif not isinstance(params, list | dict):
        raise RpcError(RPC_INVALID_REQUEST, "Params must be an array or object")
    call.params = params


def _reply_parts(call: _Call, result: Any = None, error: RpcError | None = None) -> list[bytes]:
    """``JSONRPCReplyObj`` as bytes; a ``RawHex`` result is spliced in without re-encoding."""
    head = '{"jsonrpc":"2.0",' if call.v2 else "{"
    # integer ids and kept texts (batches of thousands) skip the generic writer
    ident = str(call.id) if type(call.id) is int else core_json(call.id)
    tail = "" if not call.has_id else f',"id":{ident}'
    if error is not None:
        err = core_json({"code": error.code, "message": error.message})
        middle = f'"error":{err}' if call.v2 else f'"result":null,"error":{err}'
        return [(head + middle + tail + "}").encode()]
    after = "" if call.v2 else ',"error":null'
    if isinstance(result, RawHex):
        return [(head + '"result":"').encode(), result.hex, ('"' + after + tail + "}").encode()]
    text = result.text if isinstance(result, RawJson) else core_json(result)
    return [(head + '"result":' + text + after + tail + "}").encode()]


def _status_for(code: int) -> int:
    return {RPC_INVALID_REQUEST: 400, RPC_METHOD_NOT_FOUND: 404}.get(code, 500)


def _json_reply(status: int, answers: list[list[bytes]], batch: bool) -> Reply:
    """Answers joined as one body (an array for a batch), block hex parts marked for truncation."""
    reply = Reply(status, [b"["] if batch else [], JSON_TYPE, hex_blocks=True)
    for i, parts in enumerate(answers):
        if i:
            reply.parts.append(b",")
        if len(parts) == 3:
            reply.block_parts.append(len(reply.parts) + 1)
        reply.parts += parts
    reply.parts.append(b"]\n" if batch else b"\n")
    return reply


class RpcEndpoint:
    """Turns one authenticated POST body into an ``Exchange``."""

    def __init__(self, methods: RpcMethods, legacy_jsonrpc: bool = False) -> None:
        self.methods = methods
        self.legacy = legacy_jsonrpc

    def exchange(self, body: bytes) -> Exchange:
        try:
            value = json.loads(body, parse_constant=_reject_constant)
        except (ValueError, UnicodeDecodeError):
            return self._refused(_Call(), RpcError(RPC_PARSE_ERROR, "Parse error"))
        if isinstance(value, dict):
            return self._single(value)
        if isinstance(value, list):
            return self._batch(value)
        return self._refused(_Call(), RpcError(RPC_PARSE_ERROR, "Top-level object parse error"))

    def _refused(self, call: _Call, error: RpcError) -> Exchange:
        """A request refused before any method runs (logged with an empty method)."""
        reply = _json_reply(_status_for(error.code), [_reply_parts(call, error=error)], False)
        return Exchange("rpc", [("", None)], lambda: reply, lambda _: reply)

    def _single(self, value: dict[str, Any]) -> Exchange:
        call = _Call()
        try:
            _parse_call(value, call, self.legacy)
        except RpcError as err:
            return self._refused(call, err)

        def answer() -> Reply:
            try:
                parts = _reply_parts(call, self.methods.execute(call.method, call.params))
                status = 200
            except RpcError as err:
                parts = _reply_parts(call, error=err)
                status = 200 if call.v2 else _status_for(err.code)
            if call.notification:
                return Reply(204, [], None)
            return _json_reply(status, [parts], False)

        return Exchange(
            "rpc",
            [(call.method, call.params)],
            answer,
            lambda fault: _fault_reply(fault, call),
            fault_key=_key([call]) if self.methods.is_data(call.method) else None,
            carries_block=self.methods.returns_block(call.method, call.params),
        )

    def _batch(self, values: list[Any]) -> Exchange:
        """Like Core, one request object is reused: a malformed call answers with the id
        and version of the call before it."""
        calls: list[_Call] = []
        errors: list[RpcError | None] = []
        state = _Call()
        for value in values:
            try:
                _parse_call(value, state, self.legacy)
                errors.append(None)
            except RpcError as err:
                errors.append(err)
            calls.append(_Call(state.v2, state.has_id, state.id, state.method, state.params))

        def answer() -> Reply:
            answers: list[list[bytes]] = []
            for call, error in zip(calls, errors, strict=True):
                if error is None:
                    try:
                        parts = _reply_parts(call, self.methods.execute(call.method, call.params))
                    except RpcError as err:
                        parts = _reply_parts(call, error=err)
                else:
                    parts = _reply_parts(call, error=error)
                if not call.notification:
                    answers.append(parts)
            if values and not answers:
                return Reply(204, [], None)
            return _json_reply(200, answers, True)

        pairs = list(zip(calls, errors, strict=True))
        valid = [c for c, e in pairs if e is None]
        logged = [(c.method, c.params) if e is None else ("", None) for c, e in pairs]
        return Exchange(
            "rpc",
            logged,
            answer,
            lambda fault: _fault_reply(fault, valid[0] if valid else _Call()),
            fault_key=_key(valid) if any(self.methods.is_data(c.method) for c in valid) else None,
            carries_block=any(self.methods.returns_block(c.method, c.params) for c in valid),
        )


def _key(calls: list[_Call]) -> str:
    return "rpc:" + core_json([[c.method, c.params] for c in calls])


def _fault_reply(fault: Fault, call: _Call) -> Reply:
    """Core's answer when its work queue is full (503), or an internal error (500)."""
    if fault is Fault.ERROR_503:
        return work_queue_full()
    error = RpcError(RPC_INTERNAL_ERROR, "Internal error")
    return _json_reply(500, [_reply_parts(call, error=error)], False)


def _reject_constant(name: str) -> None:
    raise ValueError(f"{name} is not JSON")
