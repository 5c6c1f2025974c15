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

__all__ = ["CREDENTIAL_PARAMETERS", "MASK", "Masker", "mask_url", "url_secrets"]

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


#: Query parameters that carry a credential in a URL, as the libraries reading our URLs
#: take them (redis-py reads ``password`` and ``username``; the rest are the usual names
#: of tokens and keys). Compared case-insensitively.
CREDENTIAL_PARAMETERS = frozenset(
    {
        "password",
        "passwd",
        "pass",
        "pwd",
        "username",
        "user",
        "token",
        "access_token",
        "auth",
        "key",
        "api_key",
        "apikey",
        "secret",
        "client_secret",
        "sig",
        "signature",
    }
)


def mask_url(url: str) -> str:
    """``url`` safe to show: the userinfo (user and password) and the value of every query
    parameter that may carry a credential replaced by ``MASK``; the fragment dropped. Text
    that does not parse as a URL is masked whole."""
    from urllib.parse import parse_qsl, quote, urlsplit, urlunsplit

    try:
        parts = urlsplit(url)
        netloc = parts.netloc
        if "@" in netloc:
            netloc = f"{MASK}@{netloc.rpartition('@')[2]}"
        pairs = parse_qsl(parts.query, keep_blank_values=True)
    except ValueError:
        return MASK
    query = "&".join(
        f"{quote(name, safe='')}="
        + (MASK if name.lower() in CREDENTIAL_PARAMETERS else quote(value, safe=""))
        for name, value in pairs
    )
    if parts.netloc or url[len(parts.scheme) + 1 :].startswith("//"):
        # urlunsplit would drop an empty authority: sqlite:///path stays as written.
        shown = f"{parts.scheme}://{netloc}{parts.path}" if parts.scheme else f"//{netloc}"
    else:
        shown = urlunsplit((parts.scheme, "", parts.path, "", ""))
    return f"{shown}?{query}" if query else shown


def url_secrets(url: str) -> list[str]:
    """The secrets ``url`` holds (its user, password and credential parameters' values),
    for a Masker that must hide them wherever they are echoed."""
    from urllib.parse import parse_qsl, unquote, urlsplit

    try:
        parts = urlsplit(url)
        found = [unquote(part) for part in (parts.username, parts.password) if part]
        found += [
            value
            for name, value in parse_qsl(parts.query, keep_blank_values=True)
            if value and name.lower() in CREDENTIAL_PARAMETERS
        ]
    except ValueError:
        return []
    return found
