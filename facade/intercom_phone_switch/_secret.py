"""The access token: added to each request at the last moment, masked in every text that
comes back.

``Token`` is an ``httpx.Auth``. The Route builds each request without credentials and
asks the token for the request to put on the wire (``Token.wire``, either itself or
through ``httpx.Client.send(..., auth=token)``): a copy that carries the Authorization
header. The request the generated code and the Route keep never holds the secret, nor
does any dict of headers in their frames.

The client knows its token, so it can also mask it: whatever the server (or a proxy)
sends back, body, headers, reason phrase, and the text of transport errors, passes
through ``Token.mask`` / ``Token.mask_bytes`` before anything else reads it. The token is
masked as written and in the escaped forms a server may echo it in (JSON, URL, HTML).
A token shorter than MIN_MASKED characters (``token="test"`` in a test) is not masked: it
cannot be told apart from ordinary text, and masking it would garble every answer.
"""

from __future__ import annotations

import html
import json
import re
from collections.abc import Generator
from typing import Any
from urllib.parse import quote, quote_plus

import httpx

from ._live_tokens import track

__all__ = ["REDACTED", "Token", "spelled"]

REDACTED = "[redacted]"
#: The shortest token that is masked in what comes back (real access tokens are far
#: longer).
MIN_MASKED = 8
_REDACTED_BYTES = REDACTED.encode()


def spelled(secret: str) -> list[str]:
    """``secret`` as written and as a server may echo it, longest first."""
    quoted = json.dumps(secret)[1:-1]
    forms = {
        secret,
        quoted,
        json.dumps(secret, ensure_ascii=False)[1:-1],
        repr(secret)[1:-1],
        quoted.replace("/", "\\/"),
        quote(secret, safe=""),
        quote_plus(secret, safe=""),
        html.escape(secret),
        html.escape(secret, quote=False),
    }
    return sorted(forms, key=len, reverse=True)


class Token(httpx.Auth):
    """The access token. Its repr and str never show it; it cannot be pickled."""

    __slots__ = ("_authorization", "_bytes", "_secret", "_text")

    def __init__(self, token: str) -> None:
        self._secret = token
        self._authorization = f"Bearer {token}"
        # A pattern that never matches stands in for a token too short to mask.
        forms = spelled(token) if len(token) >= MIN_MASKED else []
        self._text = re.compile("|".join(re.escape(form) for form in forms) or "(?!)")
        self._bytes = re.compile(b"|".join(re.escape(form.encode()) for form in forms) or b"(?!)")
        if forms:
            track(self)

    @property
    def authorization(self) -> str:
        """The Authorization header value."""
        return self._authorization

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        yield self.wire(request)

    def wire(self, request: httpx.Request) -> httpx.Request:
        """A copy of ``request`` carrying the token: the copy goes on the wire, and the
        request its sender holds stays clean."""
        headers = httpx.Headers(request.headers)  # a copy of the list, nothing re-read
        headers["Authorization"] = self._authorization
        return httpx.Request(
            request.method,
            request.url,
            headers=headers,
            stream=request.stream,
            extensions=request.extensions,
        )

    def mask(self, text: str) -> str:
        """``text`` with the token replaced by ``[redacted]``, wherever it appears."""
        if self._secret not in text and "%" not in text and "\\" not in text and "&" not in text:
            return text  # none of the token's forms can be in it
        return self._text.sub(REDACTED, text)

    def found_in(self, data: bytes) -> bool:
        """Whether ``mask_bytes`` might change ``data`` (a quick look, never a miss)."""
        return b"\\u" in data or self._bytes.search(data) is not None

    def mask_bytes(self, data: bytes) -> bytes:
        """``data`` with the token replaced, also where JSON escapes spell it out."""
        data = self._bytes.sub(_REDACTED_BYTES, data)
        if b"\\u" in data and len(self._secret) >= MIN_MASKED:
            data = self._mask_json(data)
        return data

    def _mask_json(self, data: bytes) -> bytes:
        """A JSON document whose strings spell the token with \\u escapes, re-encoded with
        those strings masked; any other input unchanged."""
        try:
            document = json.loads(data)
        except RecursionError:  # too deep to look into: it may spell the token
            return _REDACTED_BYTES
        except Exception:  # not JSON: nothing decodes the escapes
            return data
        found = False
        stack: list[Any] = [document]
        while stack and not found:
            item = stack.pop()
            if isinstance(item, str):
                found = self._secret in item
            elif isinstance(item, dict):
                stack.extend(item.keys())
                stack.extend(item.values())
            elif isinstance(item, list):
                stack.extend(item)
        if not found:
            return data
        try:
            # json.dumps writes the token's ASCII characters as they are, so the
            # pattern finds it (quotes and backslashes in their JSON-escaped form).
            return self._bytes.sub(_REDACTED_BYTES, json.dumps(document).encode())
        except Exception:  # too deep to write back: say nothing of what it held
            return _REDACTED_BYTES

    def __repr__(self) -> str:
        return "Token([redacted])"

    __str__ = __repr__

    def __reduce__(self) -> Any:
        raise TypeError("the access token cannot be pickled")
