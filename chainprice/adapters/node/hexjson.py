"""JSON-RPC answers whose result is one long hex string (raw blocks), decoded fast.

A day of blocks is ~230 MB, ~460 MB of hex inside JSON. ``json.loads`` then
``bytes.fromhex`` decodes ~260 MB/s; finding the string and handing a view of
it to a compiled decoder (``core.hex_decode``, which releases the GIL so the
connections decode in parallel) decodes ~1 GB/s per core (see
benchmarks/node_fetch_speed.py). Correctness does not rest on the
shortcut: the rest of the answer is still parsed by ``json.loads``, with the
located string swapped for ``NaN`` (a token valid JSON never holds), and the
fast result is used only if that ``NaN`` turned out to be the top-level
``result``. Anything else (escapes, duplicate keys, a nested "result") takes the
plain path, which gives exactly what ``json.loads`` would.
"""

from __future__ import annotations

import binascii
import itertools
import json
import re
from typing import Any

from chainprice.core.hex_decode import hex_to_bytes

_RESULT_STRING = re.compile(rb'"result"\s*:\s*"')


class _Marker:
    """Stands for the located string while the rest of the answer is parsed."""


def _located(body: bytes, start: int, end: int) -> dict[str, Any] | None:
    """The answer if ``body[start:end]`` is the top-level result string, else ``None``."""
    seen: list[_Marker] = []

    def constant(_: str) -> _Marker:
        seen.append(_Marker())
        return seen[-1]

    try:
        envelope = json.loads(body[: start - 1] + b"NaN" + body[end + 1 :], parse_constant=constant)
    except ValueError:
        return None
    if len(seen) != 1 or not isinstance(envelope, dict) or envelope.get("result") is not seen[0]:
        return None
    decoded = hex_to_bytes(memoryview(body)[start:end])
    if decoded is None:
        return None
    envelope["result"] = decoded
    return envelope


def _fast(body: bytes) -> dict[str, Any] | None:
    for match in itertools.islice(_RESULT_STRING.finditer(body), 4):
        start = match.end()
        end = body.find(b'"', start)
        if end < 0 or body.find(b"\\", start, end) >= 0:
            continue
        envelope = _located(body, start, end)
        if envelope is not None:
            return envelope
    return None


def loads_hex_answer(body: bytes) -> Any:
    """The parsed JSON-RPC answer, its string ``result`` (if any) as bytes.

    Raises ``ValueError`` for invalid JSON or a result string that is not hex.
    """
    envelope = _fast(body)
    if envelope is not None:
        return envelope
    envelope = json.loads(body)
    if isinstance(envelope, dict) and isinstance(envelope.get("result"), str):
        envelope["result"] = binascii.unhexlify(envelope["result"])
    return envelope
