"""What one attempt's Exchange becomes: a PhoneSwitch, or one typed PhoneSwitchError.

The outcome is the Exchange's (see _wire): nothing here decides whether an SMS went out.
What is decided here is only which class tells the caller what happened, from what the
version's effective spec documents for the status (read through its generated seam):

==========================================  =================================================
answer                                      becomes
==========================================  =================================================
a documented success                        PhoneSwitch (fields beyond the stable ones: extra)
an error key (``error_key``)                 the class of that key (InvalidPhoneNumber,
                                            LandlinePhoneNumber, SmsNotSent), else
                                            RequestRejected
an error list                               AuthenticationError (401), RateLimited (429),
                                            UnsupportedVersion (intercom_version_invalid),
                                            ServerError (5xx), else RequestRejected
any 5xx                                     ServerError (a DeliveryUnknown)
anything else                               UnexpectedResponse: undocumented, malformed or
                                            unreadable (a 2xx one is accepted: do not send
                                            it again; a 3xx is a redirect, not followed)
no answer                                   ConnectionFailed (nothing was sent) or
                                            DeliveryUnknown (it may have been)
==========================================  =================================================

A version that documents a new status with an error list or an error key gets the
matching class with no change here. Errors made from an answer carry its (masked) headers
and body text.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from intercom_phone_switch_generated.seam_types import (
    ErrorKey,
    ErrorList,
    Malformed,
    Switch,
    Undocumented,
)

from ._outcome import Outcome
from .errors import (
    ERROR_KEYS,
    AuthenticationError,
    ConnectionFailed,
    DeliveryUnknown,
    PhoneSwitchError,
    RateLimited,
    RequestRejected,
    ServerError,
    UnexpectedResponse,
    UnsupportedVersion,
)
from .results import Extra, PhoneSwitch, RateLimit

if TYPE_CHECKING:
    import httpx

    from ._attempts import Call
    from ._wire import Exchange

__all__ = ["judge"]


def _text(value: object) -> str | None:
    return value if isinstance(value, str) and value else None


def _why(problem: BaseException | None) -> str:
    if problem is None:
        return "no reason given"
    text = str(problem)
    return f"{type(problem).__name__}: {text}" if text else type(problem).__name__


def _unanswered(call: Call, exchange: Exchange, attempt: int) -> PhoneSwitchError:
    why = _why(exchange.problem)
    if exchange.outcome is Outcome.UNKNOWN:
        return DeliveryUnknown(
            f"the request may have reached Intercom, but no answer came ({why}); "
            "an SMS may or may not have been sent",
            version=call.version,
            attempts=attempt,
            outcome=exchange.outcome,
        )
    return ConnectionFailed(
        f"could not reach Intercom ({why}); nothing was sent",
        transient=exchange.transient,
        version=call.version,
        attempts=attempt,
        outcome=exchange.outcome,
    )


def judge(call: Call, exchange: Exchange, attempt: int) -> PhoneSwitch | PhoneSwitchError:
    """The result of one attempt of ``call``."""
    status = exchange.status
    if status is None:
        failure = _unanswered(call, exchange, attempt)
        failure.__cause__ = exchange.problem
        return failure
    headers: httpx.Headers = exchange.headers  # type: ignore[assignment]
    content = exchange.content
    context: dict[str, Any] = {
        "status": status,
        "version": call.version,
        "attempts": attempt,
        "request_id": _text(headers.get("x-request-id")) if headers is not None else None,
        "headers": headers,
        "body": None if content is None else content.decode("utf-8", errors="replace"),
        "outcome": exchange.outcome,
    }
    if content is None:
        refusal = _refusal(status, context, None, f"could not be read ({_why(exchange.problem)})")
        refusal.__cause__ = exchange.problem
        return refusal
    documented = True
    try:
        answer = call.seam.answer(status, content)
    except Malformed as error:
        malformed: Malformed | None = error
    else:
        malformed = None
        if isinstance(answer, Switch):
            if exchange.outcome is Outcome.ACCEPTED:
                return PhoneSwitch(
                    type=answer.type,
                    url=answer.url,
                    phone=call.phone,
                    request_id=context["request_id"],
                    version=call.version,
                    rate_limit=RateLimit.from_headers(headers),
                    attempts=attempt,
                    extra=Extra(answer.extra),
                )
            return _refusal(status, context, None, "is a phone switch, on no success status")
        if isinstance(answer, ErrorKey):
            key = _text(answer.error_key)
            context["error_key"] = key
            if exchange.outcome is Outcome.REFUSED and 400 <= status < 500:
                return ERROR_KEYS.get(key or "", RequestRejected)(_text(answer.message), **context)
            return _refusal(status, context, _text(answer.message), "carries an error key")
        documented = not isinstance(answer, Undocumented)
    # An error list, where documented or not: Intercom's envelope of refusals.
    errors = answer if malformed is None and isinstance(answer, ErrorList) else None
    if errors is None:
        errors = call.seam.error_list(content)
    if errors is None:
        problem = None if malformed is None else f"is not of the documented shape ({malformed})"
        return _refusal(status, context, None, problem, documented=documented)
    context["codes"] = tuple(error.code for error in errors.errors)
    context["request_id"] = _text(errors.request_id) or context["request_id"]
    message = "; ".join(m for m in (_text(e.message) for e in errors.errors) if m) or None
    return _refusal(status, context, message, None, documented=documented)


def _refusal(
    status: int,
    context: dict[str, Any],
    message: str | None,
    problem: str | None,
    *,
    documented: bool = True,
) -> PhoneSwitchError:
    """The error for an answer other than a readable success, chosen by its status, its
    error codes, and whether the version documents it. ``problem`` says what is wrong
    with the body (None: nothing, it was read as documented)."""
    outcome: Outcome = context["outcome"]
    codes: tuple[str, ...] = context.get("codes", ())
    if outcome is Outcome.ACCEPTED:
        return UnexpectedResponse(
            f"Intercom accepted the request (status {status}), so the SMS went out, but its "
            f"answer {problem or 'is not a phone switch'}; do not send it again",
            **context,
        )
    if status == 401:
        return AuthenticationError(message, **context)
    if status == 429:
        return RateLimited(
            message, rate_limit=RateLimit.from_headers(context["headers"]), **context
        )
    if 500 <= status < 600:
        return ServerError(
            f"Intercom answered {status}; it may or may not have sent the SMS"
            + (f": {message}" if message else ""),
            **context,
        )
    if any(code in UnsupportedVersion.error_codes for code in codes):
        from ._versions import SUPPORTED_VERSIONS

        return UnsupportedVersion(message, supported=SUPPORTED_VERSIONS, **context)
    if 300 <= status < 400:
        location = _text(context["headers"].get("location"))
        return UnexpectedResponse(
            f"Intercom answered {status}, a redirect"
            + (f" to {location}" if location else "")
            + "; redirects are not followed for this request, so nothing was sent there",
            **context,
        )
    if outcome is Outcome.REFUSED and documented and problem is None:
        return RequestRejected(message, **context)
    if problem is not None:
        return UnexpectedResponse(
            f"Intercom answered {status}, but its answer {problem}", **context
        )
    return UnexpectedResponse(
        f"Intercom answered with status {status}, which Intercom-Version "
        f"{context['version']} does not document" + (f": {message}" if message else ""),
        **context,
    )
