"""Turn what a generated client returned (or raised) into a PhoneSwitch or one typed error.

The generated client parses the documented answers into its models; this module only
decides which public class each one becomes:

======  ===============================  ====================================
status  body                             becomes
======  ===============================  ====================================
200     phone_switch                     PhoneSwitch
400     error_key invalid_phone_number   InvalidPhoneNumber
400     error_key sms_failed             SmsNotSent
422     error_key landline_phone         LandlinePhoneNumber
400     error list                       RequestRejected (UnsupportedVersion
                                         for intercom_version_invalid)
401     error list                       AuthenticationError
429     error list                       RateLimited
5xx     anything                         ServerError (a DeliveryUnknown)
other   anything                         UnexpectedResponse
======  ===============================  ====================================

A documented status whose body is not JSON or not of the documented shape becomes
UnexpectedResponse, except 401, 429 and 5xx, whose status says enough, and a 400 or 422
carrying an error list (RequestRejected). Once a status line came back the request
certainly arrived: an answer whose body could not be read at all (bad encoding, cut
short, too large, too slow) is judged by its status alone, so a 2xx is an
UnexpectedResponse whose ``accepted`` is True, never a DeliveryUnknown. A 3xx is never
followed (one attempt, one POST) and becomes UnexpectedResponse.

Every error made from an answer carries the answer's headers and body text, which the
Route has already masked (see _http).
"""

from __future__ import annotations

import json
from typing import Any

import httpx

from ._http import AnswerUnreadable, TransportFailure
from ._outcome import of_status
from ._versions import SUPPORTED_VERSIONS, Served
from .errors import (
    ERROR_KEYS,
    AuthenticationError,
    ConnectionFailed,
    DeliveryUnknown,
    InvalidCustomAttributes,
    PhoneSwitchError,
    RateLimited,
    RequestRejected,
    ServerError,
    UnexpectedResponse,
    UnsupportedVersion,
)
from .results import PhoneSwitch, RateLimit

__all__ = ["error_from_exception", "result"]


def _text(value: object) -> str | None:
    return value if isinstance(value, str) and value else None


def result(served: Served, response: Any, *, phone: str, version: str, attempt: int) -> PhoneSwitch:
    """The PhoneSwitch for a generated Response, or raises the matching error."""
    parsed = response.parsed
    headers = response.headers
    if (
        response.status_code == 200
        and isinstance(parsed, served.models.PhoneSwitch)
        and isinstance(parsed.url, str)
    ):
        return PhoneSwitch(
            type=str(parsed.type_),
            url=parsed.url,
            phone=phone,
            request_id=headers.get("x-request-id"),
            version=version,
            rate_limit=RateLimit.from_headers(headers),
            attempts=attempt,
        )
    raise error_from_answer(
        served,
        int(response.status_code),
        headers,
        parsed,
        response.content,
        version=version,
        attempt=attempt,
    )


def _body(content: bytes) -> str:
    return content.decode("utf-8", errors="replace")


def error_from_answer(
    served: Served,
    status: int,
    headers: httpx.Headers,
    parsed: object,
    content: bytes,
    *,
    version: str,
    attempt: int,
    unreadable: BaseException | None = None,
    body_read: bool = True,
) -> PhoneSwitchError:
    """The error for an answer other than a readable 200.

    ``parsed`` is the generated model of a documented answer (None otherwise);
    ``unreadable`` is why the answer could not be parsed (or, with ``body_read`` False,
    why its body could not be read at all).
    """
    models = served.models
    context: dict[str, Any] = {
        "status": status,
        "version": version,
        "attempts": attempt,
        "request_id": _text(headers.get("x-request-id")),
        "headers": headers,
        "body": _body(content) if body_read else None,
        "outcome": of_status(status),
    }
    if isinstance(parsed, models.PhoneSwitchError):
        key = _text(parsed.error_key)
        cls = ERROR_KEYS.get(key or "", RequestRejected)
        return cls(_text(parsed.message), error_key=key, **context)
    if parsed is None:
        parsed = _error_list(models, content)
    if isinstance(parsed, models.ErrorList):
        context["codes"] = tuple(str(error.code) for error in parsed.errors)
        context["request_id"] = _text(parsed.request_id) or context["request_id"]
        messages = [_text(error.message) for error in parsed.errors]
        message: str | None = "; ".join(m for m in messages if m) or None
    else:
        message = None
    if status == 401:
        return AuthenticationError(message, **context)
    if status == 429:
        return RateLimited(message, rate_limit=RateLimit.from_headers(headers), **context)
    if status >= 500:
        return ServerError(
            f"Intercom answered {status}; it may or may not have sent the SMS"
            + (f": {message}" if message else ""),
            **context,
        )
    if any(code in UnsupportedVersion.error_codes for code in context.get("codes", ())):
        return UnsupportedVersion(message, supported=SUPPORTED_VERSIONS, **context)
    if status in (400, 422) and isinstance(parsed, models.ErrorList):
        return RequestRejected(message, **context)
    why = f"{type(unreadable).__name__}: {unreadable}" if unreadable else "no phone switch"
    what = "could not be read" if not body_read else "is not of the documented shape"
    if 200 <= status < 300:
        return UnexpectedResponse(
            f"Intercom accepted the request (status {status}), so the SMS went out, but "
            f"its answer {what}: {why}; do not send it again",
            **context,
        )
    if 300 <= status < 400:
        location = _text(headers.get("location"))
        return UnexpectedResponse(
            f"Intercom answered {status}, a redirect"
            + (f" to {location}" if location else "")
            + "; redirects are not followed for this request, so nothing was sent there",
            **context,
        )
    if unreadable is not None:
        return UnexpectedResponse(
            f"Intercom answered {status}, but its answer {what}: {why}", **context
        )
    return UnexpectedResponse(
        f"Intercom answered with undocumented status {status}"
        + (f": {message}" if message else ""),
        **context,
    )


def _error_list(models: Any, content: bytes) -> object:
    """Intercom's error list in an undocumented answer, when it has one."""
    try:
        return models.ErrorList.from_dict(json.loads(content))
    except Exception:
        return None


def _culprit(attributes: dict[str, object] | None) -> str | None:
    for name, value in (attributes or {}).items():
        try:
            json.dumps(value, ensure_ascii=False, allow_nan=False).encode("utf-8")
        except Exception:
            return name
    return None


def error_from_exception(
    served: Served,
    error: Exception,
    *,
    response: httpx.Response | None,
    attributes: dict[str, object] | None,
    version: str,
    attempt: int,
) -> tuple[PhoneSwitchError, BaseException]:
    """The error for an exception out of a generated client, and its cause to chain."""
    if isinstance(error, AnswerUnreadable):
        answer = error.response
        return error_from_answer(
            served,
            answer.status_code,
            answer.headers,
            None,
            b"",
            version=version,
            attempt=attempt,
            unreadable=error.cause,
            body_read=False,
        ), error.cause
    if isinstance(error, TransportFailure):
        cause = error.cause
        why = f"{type(cause).__name__}: {cause}" if str(cause) else type(cause).__name__
        if error.failure == "maybe_sent":
            return DeliveryUnknown(
                f"the request may have reached Intercom, but no answer came ({why}); "
                "an SMS may or may not have been sent",
                version=version,
                attempts=attempt,
            ), cause
        if error.failure == "not_sent":
            return ConnectionFailed(
                f"could not reach Intercom ({why}); nothing was sent",
                transient=error.transient,
                version=version,
                attempts=attempt,
            ), cause
        name = _culprit(attributes)
        if name is not None:
            return InvalidCustomAttributes(
                f"custom attribute {name!r} cannot be sent as JSON ({why})",
                attribute=name,
                version=version,
                attempts=0,
            ), cause
        return ConnectionFailed(
            f"the request could not be built ({why}); nothing was sent",
            transient=False,
            version=version,
            attempts=0,
        ), cause
    if response is None:
        # The Route wraps every failure from building the request on; any other error
        # without an answer came before the request was handed to it.
        return ConnectionFailed(
            f"the request could not be prepared ({type(error).__name__}: {error}); "
            "nothing was sent",
            transient=False,
            version=version,
            attempts=0,
        ), error
    return error_from_answer(
        served,
        response.status_code,
        response.headers,
        None,
        response.content,
        version=version,
        attempt=attempt,
        unreadable=error,
    ), error
