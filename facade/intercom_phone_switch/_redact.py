"""Masking known secrets in text this package did not write.

A server or a proxy may echo the access token back (``"bad Authorization header
Bearer <token>"``). Whatever shows such text (a command's output, a report) masks every
known secret in it first, in the spellings it may take on the way: as sent, escaped for
JSON or a Python repr, percent-encoded, or HTML-escaped.
"""

from __future__ import annotations

import html
import json
from collections.abc import Iterable
from urllib.parse import quote

__all__ = ["MASK", "Masker"]

#: What a secret is replaced with.
MASK = "[redacted]"


def _spellings(secret: str) -> set[str]:
    return {
        secret,
        json.dumps(secret)[1:-1],
        json.dumps(secret, ensure_ascii=False)[1:-1],
        repr(secret)[1:-1],
        quote(secret, safe=""),
        html.escape(secret),
    }


class Masker:
    """Replaces each known secret in a text by :data:`MASK`; its repr shows no secret."""

    __slots__ = ("_spellings",)

    def __init__(self, secrets: Iterable[str | None] = ()) -> None:
        found: set[str] = set()
        for secret in secrets:
            if secret:
                found |= _spellings(secret)
        # Longest first, so that a spelling containing another is masked whole.
        self._spellings = sorted(found, key=len, reverse=True)

    def __call__(self, text: str) -> str:
        for spelling in self._spellings:
            if spelling in text:
                text = text.replace(spelling, MASK)
        return text

    def __bool__(self) -> bool:
        return bool(self._spellings)

    def __repr__(self) -> str:
        return f"Masker({len(self._spellings)} spellings)"
