"""JSON text as Bitcoin Core's UniValue writes it.

Core prints amounts as fixed-point numbers with eight decimals
(``0.00010000``) and other doubles with 16 significant digits, keys in the
order it pushed them, and no spaces. Clients that parse numbers as
``Decimal`` see those digits, so the simulator writes its own text instead
of trusting ``json.dumps`` to agree.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from json.encoder import encode_basestring
from typing import Any

from chainprice.simchain.amounts import COIN


class Amount(int):
    """A value in satoshis that Core writes as BTC with eight decimals."""


@dataclass(frozen=True)
class RawJson:
    """JSON text written once and spliced into answers as is (a cached mempool entry)."""

    text: str


def amount_text(sats: int) -> str:
    """Satoshis as Core writes an amount: BTC with eight decimals."""
    sign = "-" if sats < 0 else ""
    whole, frac = divmod(abs(int(sats)), COIN)
    return f"{sign}{whole}.{frac:08d}"


def core_json(value: Any) -> str:
    """Compact JSON text of ``value`` (dict, list, str, int, float, bool, None, Amount, RawJson)."""
    parts: list[str] = []
    _write(value, parts)
    return "".join(parts)


def _write(value: Any, out: list[str]) -> None:
    if value is None:
        out.append("null")
    elif value is True:
        out.append("true")
    elif value is False:
        out.append("false")
    elif isinstance(value, str):
        out.append(encode_basestring(value))
    elif isinstance(value, Amount):
        out.append(amount_text(value))
    elif isinstance(value, int):
        out.append(str(value))
    elif isinstance(value, float):
        out.append(format(value, ".16g"))
    elif isinstance(value, dict):
        out.append("{")
        for i, (key, item) in enumerate(value.items()):
            if i:
                out.append(",")
            out.append(encode_basestring(key))
            out.append(":")
            _write(item, out)
        out.append("}")
    elif isinstance(value, RawJson):
        out.append(value.text)
    elif isinstance(value, list | tuple):
        out.append("[")
        for i, item in enumerate(value):
            if i:
                out.append(",")
            _write(item, out)
        out.append("]")
    else:
        raise TypeError(f"cannot write {type(value).__name__} as JSON")


def core_json_indented(fields: dict[str, str]) -> str:
    """A flat object of strings as ``UniValue::write(4)`` lays it out (for Core's error texts)."""
    lines = [f"    {encode_basestring(k)}: {encode_basestring(v)}" for k, v in fields.items()]
    return "{\n" + ",\n".join(lines) + "\n}"


def compact_json(value: Any) -> str:
    """Compact JSON as serde (Esplora) and Express (mempool.space) write it."""
    return json.dumps(value, separators=(",", ":"))
