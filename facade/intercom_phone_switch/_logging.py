"""Logging through the standard ``logging`` module, with secrets redacted.

The client logs to the ``intercom_phone_switch`` logger:

- DEBUG, one record per request: method, path, status, version, request_id, duration.
- INFO, before a retry: why, and how long it waits.
- WARNING, when the outcome of a request is unknown (it may have sent an SMS).

Each record carries those fields as attributes too (``record.status``, ...). The client
never puts the access token in a record; RedactingFilter, installed on the logger, also
masks anything that looks like a bearer token or an Authorization header, and can be added
to your own handlers for the records of other libraries.
"""

from __future__ import annotations

import logging
import re

__all__ = ["RedactingFilter", "logger"]

_BEARER = re.compile(r"(?i)\b(bearer)(\s+)[^\s'\",;]+")
_AUTHORIZATION = re.compile(
    r"(?i)(['\"]?authorization['\"]?\s*[:=]\s*['\"]?)([^\s'\",;}\[\]][^'\",;}\]\n]*)"
)
REDACTED = "[redacted]"


def redact(text: str) -> str:
    """``text`` with bearer tokens and Authorization header values masked."""
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
logger.addFilter(RedactingFilter())


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
