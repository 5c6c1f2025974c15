"""Masking known secrets in text this package did not write."""

from __future__ import annotations

import html
import json
from urllib.parse import quote

import pytest

from intercom_phone_switch._redact import MASK, Masker, mask_url, url_secrets

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


@pytest.mark.parametrize(
    ("url", "shown"),
    [
        (
            "redis://user:pw@h:6379/0?password=s3cret&timeout=2",
            "redis://[redacted]@h:6379/0?password=[redacted]&timeout=2",
        ),
        ("http://alice:b0b@host/x?q=1#frag", "http://[redacted]@host/x?q=1"),
        ("redis://h/0?Password=x&db=1", "redis://h/0?Password=[redacted]&db=1"),
        ("sqlite:///relative.db", "sqlite:///relative.db"),
        ("sqlite:////abs/guard.db?timeout=5", "sqlite:////abs/guard.db?timeout=5"),
        ("memory://", "memory://"),
        ("http://[unclosed", "[redacted]"),
    ],
)
def test_a_url_is_shown_without_its_credentials(url: str, shown: str) -> None:
    assert mask_url(url) == shown
    for secret in url_secrets(url):
        assert secret not in mask_url(url)


def test_a_url_names_its_secrets_for_a_masker() -> None:
    secrets = url_secrets("rediss://me:p%40ss@h/0?password=other&token=t0k")
    assert sorted(secrets) == ["me", "other", "p@ss", "t0k"]
    masker = Masker(secrets)
    assert masker("AUTH failed for p@ss and other") == "AUTH failed for [redacted] and [redacted]"
