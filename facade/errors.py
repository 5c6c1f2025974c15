"""Every way a phone switch can fail, as one exception hierarchy under PhoneSwitchError.

Each error says what happened in terms a caller can act on, and carries the context
Intercom gave: the HTTP status, Intercom's error codes or error key, its message, the
request id and the Intercom-Version header the request was (or would have been) sent with.
No error ever holds the access token.

Whether an SMS can have gone out follows from the class:

- ``DeliveryUnknown`` (and its subclass ``ServerError``): the request may have reached
  Intercom; an SMS may or may not have been sent.
- ``UnexpectedResponse``: Intercom answered in an undocumented way; with status 200 the
  SMS was accepted, otherwise check ``status``.
- every other error: no SMS was sent.
"""

from __future__ import annotations

from datetime import datetime, timezone
from typing import TYPE_CHECKING, ClassVar

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
    "ServerError",
    "SmsNotSent",
    "UnexpectedResponse",
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
        replayed: True when the error is the recorded outcome of an earlier call with the
            same idempotency key (see intercom_phone_switch.guard), not of a request of
            this call.
    """

    replayed: bool = False

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
    ) -> None:
        self.message = message or self.summary
        self.status = status
        self.codes = tuple(codes)
        self.error_key = error_key
        self.request_id = request_id
        self.version = version
        self.attempts = attempts
        super().__init__(self.message)

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
        self.phone = phone
        self.reason = reason


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
        self.attribute = attribute
        self.allowed = tuple(allowed)


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
        self.supported = tuple(supported)


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
        self.rate_limit = rate_limit

    @property
    def reset(self) -> int | None:
        return None if self.rate_limit is None else self.rate_limit.reset

    @property
    def reset_at(self) -> datetime | None:
        reset = self.reset
        return None if reset is None else datetime.fromtimestamp(reset, tz=timezone.utc)

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
        self.transient = transient


class UnexpectedResponse(PhoneSwitchError):
    """Intercom answered with an undocumented status, or a body that is not JSON or not of
    the documented shape. With ``status`` 200 Intercom accepted the request."""

    summary = "Intercom's answer is not what its API description documents."


#: Intercom's error_key -> the class raised for it (any other key: RequestRejected).
ERROR_KEYS: dict[str, type[PhoneSwitchError]] = {
    key: cls
    for cls in (InvalidPhoneNumber, LandlinePhoneNumber, SmsNotSent)
    for key in cls.error_keys
}
