"""The access token: what may hold it is found before it is masked."""

from __future__ import annotations

import json
from urllib.parse import quote

import pytest

from intercom_phone_switch._secret import Token

SECRET = "dG9rOmEtbG9uZy1lbm91Z2gtc2VjcmV0LXZhbHVl"


@pytest.mark.parametrize(
    "data",
    [
        SECRET.encode(),
        b"Bearer " + SECRET.encode() + b"\nx-other",
        quote(SECRET, safe="").encode(),
        json.dumps({"t": SECRET}, ensure_ascii=True).encode().replace(b"d", b"\\u0064", 1),
    ],
)
def test_whatever_mask_bytes_would_change_is_found(data: bytes) -> None:
    token = Token(SECRET)
    assert token.mask_bytes(data) != data, "the sample holds the token"
    assert token.found_in(data)


def test_plain_headers_are_not_copied_for_masking() -> None:
    token = Token(SECRET)
    data = b"application/json\n42\n1700000000"
    assert not token.found_in(data)
    assert token.mask_bytes(data) == data


def test_a_body_too_deep_to_look_into_that_may_spell_the_token_is_withheld() -> None:
    token = Token(SECRET)
    escaped = json.dumps(SECRET).replace("d", "\\u0064")
    body = ("[" * 100_000 + escaped + "]" * 100_000).encode()
    masked = token.mask_bytes(body)
    assert b"\\u0064" not in masked
    assert SECRET.encode() not in masked
