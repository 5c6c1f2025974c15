"""Outcomes to and from the JSON a store keeps: a PhoneSwitch or a PhoneSwitchError."""

from __future__ import annotations

import json
from functools import partial
from typing import Any

from intercom_phone_switch import errors
from intercom_phone_switch._outcome import Outcome
from intercom_phone_switch.errors import DeliveryUnknown, PhoneSwitchError, UnexpectedResponse
from intercom_phone_switch.results import PhoneSwitch, RateLimit

from . import _errors
from ._store import Final, Payload, Record

__all__ = ["dump", "load", "payload", "state_of"]

_encode = json.JSONEncoder(separators=(",", ":")).encode

DIED = (
    "An earlier call with this idempotency key stopped before it recorded an outcome; "
    "an SMS may or may not have been sent."
)


def state_of(outcome: PhoneSwitch | BaseException) -> Final:
    """accepted, refused (certainly nothing sent) or unknown."""
    if isinstance(outcome, PhoneSwitch):
        return "accepted"
    if isinstance(outcome, PhoneSwitchError) and not isinstance(
        outcome, (DeliveryUnknown, UnexpectedResponse)
    ):
        # Every other PhoneSwitchError means that no SMS was sent.
        return "refused"
    return "unknown"


def dump(outcome: PhoneSwitch | BaseException) -> str:
    if isinstance(outcome, PhoneSwitch):
        limit = outcome.rate_limit
        data: dict[str, Any] = {
            "switch": {
                "type": outcome.type,
                "url": outcome.url,
                "phone": outcome.phone,
                "request_id": outcome.request_id,
                "version": outcome.version,
                "attempts": outcome.attempts,
                "rate_limit": [limit.limit, limit.remaining, limit.reset],
            }
        }
    elif isinstance(outcome, PhoneSwitchError):
        data = {
            "error": type(outcome).__name__,
            "message": outcome.message,
            "status": outcome.status,
            "codes": list(outcome.codes),
            "error_key": outcome.error_key,
            "request_id": outcome.request_id,
            "version": outcome.version,
            "attempts": outcome.attempts,
        }
    else:
        data = {
            "error": "DeliveryUnknown",
            "message": f"The call stopped: {type(outcome).__name__}",
        }
    return _encode(data)


def payload(outcome: PhoneSwitch | BaseException) -> Payload:
    """The outcome as a store takes it. A PhoneSwitch (immutable plain data) is dumped
    when the store asks (the memory store: only if the record is read); an error is
    dumped now, so that no store keeps an exception, its traceback or its frames."""
    if isinstance(outcome, PhoneSwitch):
        return partial(dump, outcome)
    return dump(outcome)


def load(record: Record) -> PhoneSwitch | PhoneSwitchError:
    """The recorded outcome, marked as replayed."""
    if not record.payload:
        error: PhoneSwitchError = DeliveryUnknown(DIED)
        error.replayed = True
        return error
    data = json.loads(record.payload)
    switch = data.get("switch")
    if switch is not None:
        limit, remaining, reset = switch.pop("rate_limit")
        return PhoneSwitch(**switch, rate_limit=RateLimit(limit, remaining, reset), replayed=True)
    name = str(data.get("error"))
    own = getattr(_errors, name, None) if name in _errors.__all__ else None
    if isinstance(own, type) and issubclass(own, PhoneSwitchError):
        error = own(data.get("message"))
        error.replayed = True
        return error
    kind = getattr(errors, name, None) if name in errors.__all__ else None
    if not (isinstance(kind, type) and issubclass(kind, PhoneSwitchError)):
        kind = DeliveryUnknown if record.state == "unknown" else PhoneSwitchError
    error = kind(
        data.get("message"),
        status=data.get("status"),
        codes=tuple(data.get("codes") or ()),
        error_key=data.get("error_key"),
        request_id=data.get("request_id"),
        version=data.get("version"),
        attempts=int(data.get("attempts") or 0),
        outcome=Outcome(record.state) if record.state in Outcome.__members__.values() else None,
    )
    error.replayed = True
    return error
