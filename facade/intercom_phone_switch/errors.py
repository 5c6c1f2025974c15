"""Every way a phone switch can fail, as one exception hierarchy under PhoneSwitchError.

Each error says what happened in terms a caller can act on, and carries the context
Intercom gave: the HTTP status, Intercom's error codes or error key, its message, the
request id and the Intercom-Version header the request was (or would have been) sent with.
No error ever holds the access token.

Whether an SMS can have gone out is the error's ``outcome`` (an ``Outcome``), decided
once, where the attempt's answer was read; ``sms_sent`` and ``accepted`` read it:

- ``Outcome.REFUSED`` (``sms_sent`` False): certainly no SMS, because nothing was handed
  over, or Intercom answered with a status that refuses (3xx, 4xx).
- ``Outcome.UNKNOWN`` (``sms_sent`` None): the request may have reached Intercom, and no
  answer says what it did (no status line came back, or a 1xx or 5xx one did); an SMS may
  or may not have gone out. ``DeliveryUnknown`` and its subclasses are raised for it.
- ``Outcome.ACCEPTED`` (``sms_sent`` True, ``accepted`` True): Intercom accepted the
  request with a 2xx, so the SMS went out, but its answer could not be read
  (``UnexpectedResponse``). Do not send it again.

Errors that answer an HTTP response also carry its ``headers`` and ``body`` text (never
the request's headers); the token is masked in both, as in every message.
"""

from __future__ import annotations

import reprlib
from collections.abc import Mapping
from datetime import datetime, timezone
from typing import TYPE_CHECKING, ClassVar

from ._outcome import Outcome

if TYPE_CHECKING:
    from typing_extensions import TypedDict, Unpack

    from .results import RateLimit

    class _Context(TypedDict, total=False):
        status: int | None
        codes: tuple[str, ...]
        error_key: str | None
        request_id: str | None
        version: str | None
        attempts: int
        headers: Mapping[str, str] | None
        body: str | None
        outcome: Outcome | None


#: The most characters of a message an error keeps (the rest is summarised).
MESSAGE_LIMIT = 2000
#: The most characters of an answer's body an error keeps.
BODY_LIMIT = 16 * 1024


def shorten(text: str, limit: int) -> str:
    """``text``, cut to about ``limit`` characters with a note of how much was left out."""
    if len(text) <= limit:
        return text
    return f"{text[:limit]}... ({len(text) - limit} more characters)"


#: How a caller's value is shown in a message: cut short, nested levels elided.
_SHOWN = reprlib.Repr()
_SHOWN.maxstring = 60
_SHOWN.maxother = 60
_SHOWN.maxlevel = 3


def shown(value: object) -> str:
    """A short repr of a caller's value (bounded, whatever its size or depth)."""
    try:
        return _SHOWN.repr(value)
    except Exception:  # a broken __repr__
        return f"<{type(value).__name__}>"


def reset_datetime(reset: int | None) -> datetime | None:
    """A UNIX time as an aware UTC datetime; None when there is none or it is out of range."""
    if reset is None:
        return None
    try:
        return datetime.fromtimestamp(reset, tz=timezone.utc)
    except (OverflowError, OSError, ValueError):
        return None


__all__ = [
    "AuthenticationError",
    "ConnectionFailed",
    "DeliveryUnknown",
    "InvalidCustomAttributes",
    "InvalidPhoneNumber",
    "LandlinePhoneNumber",
    "PhoneSwitchError",
    "RateLimited",
    "RequestRejected",
    "SendInterrupted",
    "ServerError",
    "SmsNotSent",
    "UnexpectedResponse",
    "UnprocessableItem",
    "UnsupportedVersion",
]


class PhoneSwitchError(Exception):
    """Base class of every error the phone switch client raises or returns.

    Attributes:
        message: what went wrong, in a sentence (Intercom's own message when it sent one).
        status: the HTTP status of Intercom's answer, or None when there was none.
        codes: the ``code`` of every error in Intercom's error list, in order.
        error_key: Intercom's ``error_key`` (400 and 422 answers), or None.
        request_id: Intercom's request id, when Intercom sent one.
        version: the Intercom-Version header the request was or would have been sent with.
        attempts: how many requests were sent (0 when the error was found before sending).
        headers: the headers of Intercom's answer, or None when there was none.
        body: the text of Intercom's answer (at most 16 KiB), or None when there was none.
        replayed: True when the error is the recorded outcome of an earlier call with the
            same idempotency key (see intercom_phone_switch.guard), not of a request of
            this call.
    """

    replayed: bool = False

    #: The outcome of an error of this class when whoever made it gave none.
    default_outcome: ClassVar[Outcome] = Outcome.REFUSED

    #: A short description of the class, used when Intercom sends no message.
    summary: ClassVar[str] = "The phone switch failed."

    def __init__(
        self,
        message: str | None = None,
        *,
        status: int | None = None,
        codes: tuple[str, ...] = (),
        error_key: str | None = None,
        request_id: str | None = None,
        version: str | None = None,
        attempts: int = 0,
        headers: Mapping[str, str] | None = None,
        body: str | None = None,
        outcome: Outcome | None = None,
    ) -> None:
        #: Whether an SMS went out (see intercom_phone_switch.Outcome).
        self.outcome: Outcome = self.default_outcome if outcome is None else Outcome(outcome)
        self.message: str = shorten(message or self.summary, MESSAGE_LIMIT)
        self.status: int | None = status
        self.codes: tuple[str, ...] = tuple(codes)
        self.error_key: str | None = error_key
        self.request_id: str | None = request_id
        self.version: str | None = version
        self.attempts: int = attempts
        self.headers: Mapping[str, str] | None = headers
        self.body: str | None = None if body is None else shorten(body, BODY_LIMIT)
        super().__init__(self.message)

    @property
    def accepted(self) -> bool:
        """True when Intercom answered with a 2xx status: it accepted the request and the
        SMS went out, although the answer could not be read as a phone switch."""
        return self.outcome is Outcome.ACCEPTED

    @property
    def sms_sent(self) -> bool | None:
        """Whether an SMS went out: True (accepted), False (certainly not), None (unknown)."""
        return self.outcome.sms_sent

    @property
    def code(self) -> str | None:
        """Intercom's error key, or the first error code of its error list."""
        if self.error_key is not None:
            return self.error_key
        return self.codes[0] if self.codes else None

    def _context(self) -> list[tuple[str, object]]:
        return [
            ("status", self.status),
            ("code", self.code),
            ("request_id", self.request_id),
            ("version", self.version),
        ]

    def __str__(self) -> str:
        context = ", ".join(f"{key}={value}" for key, value in self._context() if value is not None)
        return f"{self.message} [{context}]" if context else self.message

    def __repr__(self) -> str:
        fields = [("message", self.message), *self._context()]
        shown = ", ".join(f"{key}={value!r}" for key, value in fields if value is not None)
        return f"{type(self).__name__}({shown})"


class InvalidPhoneNumber(PhoneSwitchError):
    """The number is not a valid E.164 phone number.

    Raised before any request when the input cannot be read as a valid number (``reason``
    says why), and for Intercom's ``invalid_phone_number`` answer.
    """

    summary = "Invalid phone number."
    error_keys: ClassVar[tuple[str, ...]] = ("invalid_phone_number",)

    def __init__(
        self,
        message: str | None = None,
        *,
        phone: object = None,
        reason: str | None = None,
        **kw: Unpack[_Context],
    ) -> None:
        super().__init__(message, **kw)
        self.phone: object = phone
        self.reason: str | None = reason


class LandlinePhoneNumber(PhoneSwitchError):
    """Intercom answered 422 ``landline_phone``: the number cannot receive an SMS."""

    summary = "The number is a landline and cannot receive an SMS."
    error_keys: ClassVar[tuple[str, ...]] = ("landline_phone",)


class SmsNotSent(PhoneSwitchError):
    """Intercom answered 400 ``sms_failed``: it could not send the SMS."""

    summary = "Intercom could not send the SMS."
    error_keys: ClassVar[tuple[str, ...]] = ("sms_failed",)


class InvalidCustomAttributes(PhoneSwitchError):
    """A custom attribute value is not allowed by the chosen Intercom-Version.

    Raised before any request. ``attribute`` names the offending attribute (None when the
    mapping itself is wrong) and ``allowed`` lists the value types the version admits.
    """

    summary = "Invalid custom attributes."

    def __init__(
        self,
        message: str | None = None,
        *,
        attribute: str | None = None,
        allowed: tuple[str, ...] = (),
        **kw: Unpack[_Context],
    ) -> None:
        super().__init__(message, **kw)
        self.attribute: str | None = attribute
        self.allowed: tuple[str, ...] = tuple(allowed)


class UnsupportedVersion(PhoneSwitchError):
    """The Intercom-Version is not one Intercom accepts (``supported`` lists those that are).

    Raised before any request for an unknown value, and for Intercom's
    ``intercom_version_invalid`` answer.
    """

    summary = "Unsupported Intercom-Version."
    error_codes: ClassVar[tuple[str, ...]] = ("intercom_version_invalid",)

    def __init__(
        self, message: str | None = None, *, supported: tuple[str, ...] = (), **kw: Unpack[_Context]
    ) -> None:
        super().__init__(message, **kw)
        self.supported: tuple[str, ...] = tuple(supported)


class AuthenticationError(PhoneSwitchError):
    """No usable access token: none was given (raised at construction) or Intercom answered 401."""

    summary = "Intercom did not accept the access token."


class RateLimited(PhoneSwitchError):
    """Intercom answered 429 and the retry policy could not wait for the next window.

    ``rate_limit`` holds the X-RateLimit-* state; ``reset`` is the UNIX time the next
    window opens and ``reset_at`` the same as an aware datetime (None when not sent).
    """

    summary = "Intercom's rate limit is used up for the current window."

    def __init__(
        self,
        message: str | None = None,
        *,
        rate_limit: RateLimit | None = None,
        **kw: Unpack[_Context],
    ) -> None:
        super().__init__(message, **kw)
        self.rate_limit: RateLimit | None = rate_limit

    @property
    def reset(self) -> int | None:
        return None if self.rate_limit is None else self.rate_limit.reset

    @property
    def reset_at(self) -> datetime | None:
        return reset_datetime(self.reset)

    def _context(self) -> list[tuple[str, object]]:
        return [*super()._context(), ("reset", self.reset)]


class RequestRejected(PhoneSwitchError):
    """Intercom refused the request for a reason no other class covers.

    For example a 400 error list with ``parameter_invalid``. No SMS was sent.
    """

    summary = "Intercom rejected the request."


class DeliveryUnknown(PhoneSwitchError):
    """The request may have reached Intercom, but no usable answer came back.

    A read timeout, a dropped connection after sending, or a 5xx answer: an SMS may or may
    not have been sent. It is never retried unless the client was created with
    ``retry_possibly_delivered=True``.
    """

    summary = "The request may have reached Intercom, but no answer came back."
    default_outcome = Outcome.UNKNOWN


class ServerError(DeliveryUnknown):
    """Intercom answered with a 5xx status: it may or may not have sent the SMS."""

    summary = "Intercom answered with a server error."


class ConnectionFailed(PhoneSwitchError):
    """The request never reached Intercom (connection refused, connect timeout, ...).

    No SMS was sent, so these are retried up to ``max_retries`` times.
    """

    summary = "Could not connect to Intercom; nothing was sent."

    def __init__(
        self, message: str | None = None, *, transient: bool = True, **kw: Unpack[_Context]
    ) -> None:
        super().__init__(message, **kw)
        #: Whether trying again may help (False for a malformed URL or a closed client).
        self.transient: bool = transient


class UnexpectedResponse(PhoneSwitchError):
    """Intercom answered with an undocumented status, or a body that could not be read
    (not JSON, not of the documented shape, badly encoded, cut short, too large or too
    slow).

    With a 2xx ``status``, ``accepted`` is True: Intercom accepted the request and the SMS
    went out; do not send it again. With a 3xx status the redirect was not followed
    (nothing was sent anywhere else); with any other status Intercom refused the request.
    """

    summary = "Intercom's answer is not what its API description documents."


class SendInterrupted(DeliveryUnknown):
    """A batch was stopped (cancelled, timed out) while this item's request was under
    way: an SMS may or may not have been sent."""

    summary = "The batch was stopped while this request was under way; an SMS may have been sent."


class UnprocessableItem(PhoneSwitchError):
    """A bulk item could not be processed: an unexpected error (its ``__cause__``) struck
    before any request for it was sent. Nothing was sent."""

    summary = "The item could not be processed; nothing was sent."


#: Intercom's error_key -> the class raised for it (any other key: RequestRejected).
ERROR_KEYS: dict[str, type[PhoneSwitchError]] = {
    key: cls
    for cls in (InvalidPhoneNumber, LandlinePhoneNumber, SmsNotSent)
    for key in cls.error_keys
}
