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
