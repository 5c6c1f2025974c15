"""Masking known secrets in text this package did not write."""

from __future__ import annotations

import html
import json
from urllib.parse import quote

from intercom_phone_switch._redact import MASK, Masker

SECRET = 'tok"en\\&<x>/%'


def test_every_spelling_of_a_secret_is_masked() -> None:
    mask = Masker([SECRET, None, ""])
    for spelling in (
        SECRET,
        json.dumps(SECRET)[1:-1],
        repr(SECRET)[1:-1],
        quote(SECRET, safe=""),
        html.escape(SECRET),
    ):
        assert mask(f"before {spelling} after") == f"before {MASK} after"


def test_a_masker_shows_no_secret_and_leaves_other_text_alone() -> None:
    mask = Masker([SECRET])
    assert SECRET not in repr(mask)
    assert mask("nothing to hide") == "nothing to hide"
    assert not Masker([None, ""])
    assert Masker([None])("tok") == "tok"
