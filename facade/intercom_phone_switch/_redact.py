"""Masking known secrets in text this package did not write.

A server or a proxy may echo the access token back (``"bad Authorization header
Bearer <token>"``). Whatever shows such text (a command's output, a report) masks every
known secret in it first, in each spelling ``_secret.spelled`` lists (as sent, escaped
for JSON or a Python repr, percent-encoded, HTML-escaped). Unlike a client's Token, a
Masker masks a secret of any length: it is given only the secrets it must hide.
"""

from __future__ import annotations

from collections.abc import Iterable

from ._secret import REDACTED, spelled

__all__ = ["MASK", "Masker"]

#: What a secret is replaced with.
MASK = REDACTED


class Masker:
    """Replaces each known secret in a text by ``MASK``; its repr shows no secret."""

    __slots__ = ("_spellings",)

    def __init__(self, secrets: Iterable[str | None] = ()) -> None:
        found = {form for secret in secrets if secret for form in spelled(secret)}
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
