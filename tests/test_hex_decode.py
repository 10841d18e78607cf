"""The compiled hex decoder gives ``binascii.unhexlify``'s bytes and refuses what it refuses."""

from __future__ import annotations

import binascii

from hypothesis import given, settings
from hypothesis import strategies as st

from chainprice.core.hex_decode import hex_to_bytes


def _unhexlify(text: bytes) -> bytes | None:
    try:
        return binascii.unhexlify(text)
    except binascii.Error:
        return None


@settings(max_examples=400, deadline=None)
@given(st.binary(max_size=300), st.booleans(), st.integers(0, 3))
def test_valid_hex_decodes_to_the_same_bytes(data: bytes, upper: bool, offset: int) -> None:
    text = data.hex().encode()
    text = text.upper() if upper else text
    assert hex_to_bytes(text) == data
    framed = b"x" * offset + text + b'"'  # a view into a larger answer, at any alignment
    assert hex_to_bytes(memoryview(framed)[offset:-1]) == data


@settings(max_examples=400, deadline=None)
@given(st.binary(max_size=40))
def test_any_text_is_decoded_or_refused_as_unhexlify_does(text: bytes) -> None:
    assert hex_to_bytes(text) == _unhexlify(text)


@settings(deadline=None)
@given(st.binary(min_size=1, max_size=40), st.integers(0, 255), st.data())
def test_one_bad_character_anywhere_is_refused(data: bytes, byte: int, draw) -> None:
    text = bytearray(data.hex().encode())
    at = draw.draw(st.integers(0, len(text) - 1))
    text[at] = byte
    assert hex_to_bytes(bytes(text)) == _unhexlify(bytes(text))
