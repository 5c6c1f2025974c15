"""Outcomes to and from the JSON a store keeps: a PhoneSwitch or a PhoneSwitchError."""

from __future__ import annotations

import json
from functools import partial
from typing import Any

from intercom_phone_switch import Outcome, errors
from intercom_phone_switch.errors import DeliveryUnknown, PhoneSwitchError
from intercom_phone_switch.results import PhoneSwitch, RateLimit

from . import _errors
from ._store import Final, Payload, Record

__all__ = ["dump", "load", "payload", "state_of", "stopped"]


def _jsonable(value: object) -> object:
    """A value of a phone switch's ``extra`` that JSON has no type for, as JSON: a model
    of the generated code as its dict, a date as ISO 8601, anything else as its text."""
    to_dict = getattr(value, "to_dict", None)
    if callable(to_dict):
        return to_dict()
    isoformat = getattr(value, "isoformat", None)
    if callable(isoformat):
        return isoformat()
    return str(value)


_encode = json.JSONEncoder(separators=(",", ":"), default=_jsonable).encode

#: The deepest extra field a record keeps: a record must read back at any depth of the
#: caller's stack, and JSON's reader recurses once per level.
MAX_EXTRA_DEPTH = 64


def _shallow(value: object) -> bool:
    """Whether ``value`` nests at most MAX_EXTRA_DEPTH lists and mappings deep."""
    level: list[object] = [value]
    for _ in range(MAX_EXTRA_DEPTH + 1):
        below: list[object] = []
        for item in level:
            if isinstance(item, dict):
                below.extend(item.values())
            elif isinstance(item, (list, tuple)):
                below.extend(item)
        if not below:
            return True
        level = below
    return False


DIED = (
    "An earlier call with this idempotency key stopped before it recorded an outcome; "
    "an SMS may or may not have been sent."
)


def state_of(outcome: Outcome) -> Final:
    """The record's state for an outcome: accepted, refused or unknown (the same words)."""
    return _STATES[outcome]


_STATES: dict[Outcome, Final] = {
    Outcome.ACCEPTED: "accepted",
    Outcome.REFUSED: "refused",
    Outcome.UNKNOWN: "unknown",
}


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
        # An extra field nested deeper than a record keeps is left out of it.
        extra = {name: value for name, value in outcome.extra.items() if _shallow(value)}
        if extra:
            data["switch"]["extra"] = extra
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
            "message": f"The call stopped ({type(outcome).__name__}) while its request was "
            "under way; an SMS may or may not have been sent.",
        }
    return _encode(data)


def stopped(error: BaseException, outcome: Outcome, version: str) -> str:
    """The payload of a call that ``error`` (a cancellation, an interrupt, a bug) stopped
    after it had handed a request over: ``outcome`` is what the call had done by then."""
    name = type(error).__name__
    if outcome is Outcome.ACCEPTED:
        data: dict[str, Any] = {
            "error": "UnexpectedResponse",
            "message": f"Intercom accepted the request, but the call stopped ({name}) "
            "before its answer was read.",
        }
    else:
        data = {
            "error": "DeliveryUnknown",
            "message": f"The call stopped ({name}) while its request was under way; an SMS "
            "may or may not have been sent.",
        }
    data["version"] = version
    return _encode(data)


def payload(outcome: PhoneSwitch | BaseException) -> Payload:
    """The outcome as a store takes it. A PhoneSwitch (immutable plain data) is dumped
    when the store asks (the memory store: only if the record is read); an error is
    dumped now, so that no store keeps an exception, its traceback or its frames."""
    if isinstance(outcome, PhoneSwitch):
        return partial(dump, outcome)
    return dump(outcome)


def load(record: Record, *, replayed: bool = True) -> PhoneSwitch | PhoneSwitchError:
    """The recorded outcome, marked as replayed (as a later call gets it), or not (as the
    call that made it got it)."""
    if not record.payload:
        error: PhoneSwitchError = DeliveryUnknown(DIED)
        error.replayed = replayed
        return error
    data = json.loads(record.payload)
    switch = data.get("switch")
    if switch is not None:
        limit, remaining, reset = switch.pop("rate_limit")
        return PhoneSwitch(
            **switch, rate_limit=RateLimit(limit, remaining, reset), replayed=replayed
        )
    name = str(data.get("error"))
    own = getattr(_errors, name, None) if name in _errors.__all__ else None
    if isinstance(own, type) and issubclass(own, PhoneSwitchError):
        error = own(data.get("message"))
        error.replayed = replayed
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
    error.replayed = replayed
    return error
