"""Logging through the standard ``logging`` module, with secrets redacted.

The client logs to the ``intercom_phone_switch`` logger:

- DEBUG, one record per request: method, path, status, version, request_id, duration.
- INFO, before a retry: why, and how long it waits.
- WARNING, when the outcome of a request is unknown (it may have sent an SMS).

Each record carries those fields as attributes too (``record.status``, ...). The client
never puts the access token in a record, and masks it in all the text it did not write
before logging any of it. RedactingFilter, installed on this logger and, once a client
exists, on the loggers of httpx and httpcore (whose records quote the server's status
line and headers), also masks the token of every client alive in the process and
anything that looks like a bearer token or an Authorization header; add it to your own
handlers for the records of other libraries.

Operators turn logging on without code through ``INTERCOM_PHONE_SWITCH_LOG`` (as
``OPENAI_LOG`` does for openai-python): ``debug`` or ``info`` (``warning``, ``error``
too) gives this logger a handler writing to stderr at that level, with RedactingFilter on
the handler, so that every record it writes is masked, those of the package's child
loggers too; ``debug`` also sends httpx's and httpcore's records there. Records still
reach the application's own handlers as usual. Any other value is ignored, with one line
on stderr saying so.
"""

from __future__ import annotations

import logging
import os
import re
import sys
from collections.abc import Mapping

from ._live_tokens import live_tokens
from ._secret import REDACTED

__all__ = [
    "LOG_VARIABLE",
    "RedactingFilter",
    "environment_handler",
    "guard_http_loggers",
    "log_from_environment",
    "logger",
]

_BEARER = re.compile(r"(?i)\b(bearer)(\s+)[^\s'\",;]+")
_AUTHORIZATION = re.compile(
    r"(?i)(['\"]?authorization['\"]?\s*[:=]\s*['\"]?)"
    # A value masked already (by a Masker that knew the token) is masked whole, not cut at
    # its closing bracket.
    rf"((?:bearer\s+)?{re.escape(REDACTED)}|[^\s'\",;}}\[\]][^'\",;}}\]\n]*)"
)
#: The loggers of the HTTP libraries the client sends with.
HTTP_LOGGERS = (
    "httpx",
    "httpcore.connection",
    "httpcore.http11",
    "httpcore.http2",
    "httpcore.proxy",
    "httpcore.socks",
)


def redact(text: str) -> str:
    """``text`` with the tokens of live clients, bearer tokens and Authorization header
    values masked."""
    for token in live_tokens():
        text = token.mask(text)
    if "earer" not in text and "uthorization" not in text.lower():
        return text
    text = _AUTHORIZATION.sub(lambda m: m.group(1) + REDACTED, text)
    return _BEARER.sub(lambda m: m.group(1) + m.group(2) + REDACTED, text)


class RedactingFilter(logging.Filter):
    """Masks bearer tokens and Authorization header values in log records.

    A record whose formatted message holds one is replaced by its redacted message
    (``msg`` set to it, ``args`` emptied); other records pass unchanged.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # a broken record: leave it to the handler to report
            return True
        redacted = redact(message)
        if redacted != message:
            record.msg, record.args = redacted, None
        return True


logger = logging.getLogger("intercom_phone_switch")
_FILTER = RedactingFilter()
logger.addFilter(_FILTER)


#: The environment variable that turns the package's logging on: debug, info, ...
LOG_VARIABLE = "INTERCOM_PHONE_SWITCH_LOG"
_LEVELS = {
    "debug": logging.DEBUG,
    "info": logging.INFO,
    "warning": logging.WARNING,
    "error": logging.ERROR,
}
#: The name of the handler LOG_VARIABLE installs.
_HANDLER_NAME = "intercom_phone_switch: " + LOG_VARIABLE
_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"


def environment_handler() -> logging.Handler | None:
    """The stderr handler LOG_VARIABLE installed, if it did."""
    for handler in logger.handlers:
        if handler.get_name() == _HANDLER_NAME:
            return handler
    return None


def log_from_environment(environ: Mapping[str, str] = os.environ) -> logging.Handler | None:
    """Install the stderr handler LOG_VARIABLE asks for (once); the handler, or None."""
    value = environ.get(LOG_VARIABLE, "").strip()
    if not value:
        return None
    level = _LEVELS.get(value.lower())
    if level is None:
        choices = ", ".join(_LEVELS)
        print(
            f"intercom_phone_switch: {LOG_VARIABLE}={value!r} is not one of {choices}; ignored",
            file=sys.stderr,
        )
        return None
    handler = environment_handler()
    if handler is None:
        handler = logging.StreamHandler(sys.stderr)
        handler.set_name(_HANDLER_NAME)
        handler.setFormatter(logging.Formatter(_FORMAT))
        # On the handler: a logger's filters do not see its children's records.
        handler.addFilter(_FILTER)
        logger.addHandler(handler)
    logger.setLevel(level)
    if level <= logging.DEBUG:
        for name in ("httpx", "httpcore"):
            library = logging.getLogger(name)
            library.setLevel(logging.DEBUG)
            if handler not in library.handlers:
                library.addHandler(handler)
    return handler


def guard_http_loggers() -> None:
    """Install the filter on the HTTP libraries' loggers (once; it only masks)."""
    for name in HTTP_LOGGERS:
        library = logging.getLogger(name)
        if _FILTER not in library.filters:
            library.addFilter(_FILTER)


def log_attempt(
    *,
    method: str,
    path: str,
    status: int | None,
    version: str,
    request_id: str | None,
    duration: float,
    attempt: int,
    outcome: str,
) -> None:
    """One DEBUG record for a finished request (``status`` None: no answer came)."""
    if not logger.isEnabledFor(logging.DEBUG):
        return
    duration_ms = round(duration * 1000, 1)
    logger.debug(
        "%s %s -> %s %s (Intercom-Version %s, request_id %s, %.1f ms, attempt %d)",
        method,
        path,
        status if status is not None else "no answer",
        outcome,
        version,
        request_id,
        duration_ms,
        attempt,
        extra={
            "method": method,
            "path": path,
            "status": status,
            "version": version,
            "request_id": request_id,
            "duration_ms": duration_ms,
            "attempt": attempt,
        },
    )


log_from_environment()
