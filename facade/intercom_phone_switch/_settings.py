"""A client's settings, checked: the token, the server (a base URL or a region, from the
arguments or the environment), per-call extra headers and timeouts. The command line
reads its options through the same checks."""

from __future__ import annotations

import math
import os
import re
from collections.abc import Mapping

import httpx

from intercom_phone_switch_generated.registry import REGIONS

from ._secret import Token
from .errors import AuthenticationError, shown

__all__ = [
    "BASE_URL_VARIABLE",
    "REGIONS",
    "REGION_VARIABLE",
    "TOKEN_VARIABLE",
    "base_url_of",
    "checked_headers",
    "checked_seconds",
    "checked_timeout",
    "token_of",
]

TOKEN_VARIABLE = "INTERCOM_ACCESS_TOKEN"
#: Environment variables naming the server when the constructor names none, as other
#: SDKs read theirs: a base URL (a proxy, a fake), else one of Intercom's regions.
BASE_URL_VARIABLE = "INTERCOM_BASE_URL"
REGION_VARIABLE = "INTERCOM_REGION"
#: The longest access token taken (Intercom's are well under a hundred characters).
MAX_TOKEN_LENGTH = 4096

#: Headers extra_headers cannot set: the client's own, and those that decide how the
#: request is framed or routed (a second framing would make one request read as two).
_RESERVED_HEADERS = frozenset(
    {
        "authorization",
        "intercom-version",
        "content-type",
        "content-length",
        "transfer-encoding",
        "host",
        "connection",
        "keep-alive",
        "proxy-connection",
        "upgrade",
        "te",
        "trailer",
        "expect",
    }
)
#: An HTTP header name (RFC 9110's token).
_HEADER_NAME = re.compile(r"[!#$%&'*+.^_`|~0-9A-Za-z-]+")
#: A header value a request can carry as it is: visible ASCII, spaces and tabs.
_HEADER_VALUE = re.compile(r"[\t\x20-\x7e]*")


def token_of(token: str | Token | None) -> Token | AuthenticationError:
    """The Token, or the error to raise (returned, not raised, so that no traceback
    frame of this function holds the secret)."""
    if isinstance(token, Token):
        return token
    if token is None:
        token = os.environ.get(TOKEN_VARIABLE)
    if not isinstance(token, str) or not token.strip():
        return AuthenticationError(f"no access token: pass token=... or set {TOKEN_VARIABLE}")
    token = token.strip()
    if len(token) > MAX_TOKEN_LENGTH:
        return AuthenticationError(
            f"the access token is malformed: it is longer than {MAX_TOKEN_LENGTH} characters"
        )
    if not token.isascii() or not token.isprintable() or any(c.isspace() for c in token):
        return AuthenticationError(
            "the access token is malformed: it must be printable ASCII without spaces"
        )
    return Token(token)


def checked_headers(headers: object) -> dict[str, str] | None:
    if headers is None:
        return None
    if not isinstance(headers, Mapping):
        raise TypeError(f"extra_headers must be a mapping, not {type(headers).__name__}")
    checked: dict[str, str] = {}
    for name, value in headers.items():
        if not isinstance(name, str) or not isinstance(value, str):
            raise TypeError("extra_headers must map header names (str) to values (str)")
        if not _HEADER_NAME.fullmatch(name):
            raise ValueError(f"extra_headers: {name[:40]!r} is not a header name")
        if name.lower() in _RESERVED_HEADERS:
            hint = " (pass version= instead)" if name.lower() == "intercom-version" else ""
            raise ValueError(f"extra_headers cannot set {name}: the client sets it{hint}")
        if not _HEADER_VALUE.fullmatch(value):
            raise ValueError(
                f"extra_headers: the value of {name} must be printable ASCII (no line "
                "breaks or control characters)"
            )
        checked[name] = value
    return checked


def checked_seconds(name: str, value: object, *, zero: bool = False) -> float | None:
    """``value`` as seconds: None, or a finite number above 0 (or 0 itself with ``zero``);
    else TypeError or ValueError naming ``name``."""
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise TypeError(f"{name} must be seconds (a number) or None, not {shown(value)}")
    least = "0 or more" if zero else "above 0"
    try:
        seconds = float(value)
    except OverflowError:
        seconds = math.inf
    if not math.isfinite(seconds) or seconds < 0 or (seconds == 0 and not zero):
        raise ValueError(f"{name} must be None or finite seconds {least}, not {shown(value)}")
    return seconds


def checked_timeout(timeout: object) -> httpx.Timeout:
    """``timeout`` as an httpx.Timeout whose every part is None or finite seconds above 0
    (httpx takes inf, nan and 0, which a socket cannot use); else TypeError or ValueError."""
    if isinstance(timeout, httpx.Timeout):
        parts = timeout.as_dict()
    elif timeout is None or (isinstance(timeout, (int, float)) and not isinstance(timeout, bool)):
        parts = dict.fromkeys(("connect", "read", "write", "pool"), timeout)
    else:
        raise TypeError(f"timeout must be seconds, an httpx.Timeout or None, not {shown(timeout)}")
    checked = {part: checked_seconds(f"timeout ({part})", value) for part, value in parts.items()}
    return httpx.Timeout(**checked)


def base_url_of(region: str | None, base_url: str | None, token: Token | None = None) -> str:
    """The server's URL: ``base_url``, else ``region``'s, else the environment's; a
    malformed one is a ValueError whose message shows neither a credential nor ``token``."""
    if region is not None and not isinstance(region, str):
        raise TypeError(f"region must be a str, not {type(region).__name__}")
    if base_url is not None and not isinstance(base_url, str):
        raise TypeError(f"base_url must be a str, not {type(base_url).__name__}")
    if region is None and base_url is None:
        base_url = os.environ.get(BASE_URL_VARIABLE) or None
        if base_url is None:
            region = os.environ.get(REGION_VARIABLE) or None
    if base_url is not None:
        if region is not None:
            raise ValueError("pass region or base_url, not both")
        from ._redact import mask_url

        try:
            url: httpx.URL | None = httpx.URL(base_url)
        except Exception:
            url = None
        if url is None:
            reason = "base_url is not a URL"
        elif url.scheme not in ("http", "https") or not url.host:
            reason = "base_url must be an absolute http(s) URL"
        elif url.fragment or "#" in base_url:
            reason = "base_url cannot have a fragment (a part after '#')"
        elif url.query or "?" in base_url:
            reason = "base_url cannot have a query (a part after '?')"
        elif url.userinfo:
            reason = "base_url cannot hold a user or password"
        else:
            return base_url.rstrip("/")
        masked = mask_url(base_url)
        seen = shown(masked if token is None else token.mask(masked))
        raise ValueError(f"{reason}: {seen}")
    region = "us" if region is None else region
    if region not in REGIONS:
        raise ValueError(f"region must be one of {', '.join(REGIONS)}, not {shown(region)}")
    return REGIONS[region]
