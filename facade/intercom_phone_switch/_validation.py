"""Checks of a call's input, done before anything is sent.

- The phone number is read with ``phonenumbers``: a valid number written with spaces or
  dashes becomes E.164, anything else is rejected with the reason. The result must also
  match the E.164 pattern of the version's contract.
- Custom attribute values are checked against the version's ``custom_attributes`` schema
  and passed on untouched: the mapping sent is a shallow copy of the caller's. Before the
  schema, every value is walked (without recursion) for what JSON would not carry as
  given: object keys that are not strings (JSON would turn ``{1: "x"}`` into
  ``{"1": "x"}``), strings that are not valid Unicode (lone surrogates, in names and
  values), NaN and infinities, nesting deeper than MAX_DEPTH and more than MAX_VALUES
  values. What passes reaches the wire exactly as the caller gave it.

Inputs are shown in messages through a bounded repr, and only short phone strings are
cached, so no input, however large, is copied whole or kept alive by the client.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from functools import lru_cache
from typing import TYPE_CHECKING

from .errors import InvalidCustomAttributes, InvalidPhoneNumber, shorten, shown

if TYPE_CHECKING:
    from ._contract import Contract

__all__ = ["check_custom_attributes", "check_phone", "normalise_phone"]

#: The longest phone input read: an E.164 number has at most 16 characters, and spaces
#: or dashes between its digits leave it well under this.
LONGEST_PHONE = 64
#: How deep custom attribute values may nest (a custom object instance list needs 5).
MAX_DEPTH = 32
#: How many values (containers, keys and scalars) the custom attributes may hold in all.
MAX_VALUES = 100_000
#: The most characters of a detail from the schema check kept in a message.
_DETAIL_LIMIT = 300


#: A plus sign, the country code and the number; spaces and dashes may separate digits.
_WRITTEN = re.compile(r"\+[0-9][0-9 \-]*")

_POSSIBLE_REASONS = {
    "INVALID_COUNTRY_CODE": "its country code is unknown",
    "TOO_SHORT": "it is too short",
    "TOO_LONG": "it is too long",
    "INVALID_LENGTH": "its length is not valid for its country",
    "IS_POSSIBLE_LOCAL_ONLY": "it can only be dialled locally",
}
_PARSE_REASONS = {
    "INVALID_COUNTRY_CODE": "its country code is unknown",
    "NOT_A_NUMBER": "it is not a phone number",
    "TOO_SHORT_AFTER_IDD": "it is too short",
    "TOO_SHORT_NSN": "it is too short",
    "TOO_LONG": "it is too long",
}


def _reason(phone: str) -> str | None:
    """Why ``phone`` (already stripped) is not a valid number, or None."""
    if not phone:
        return "it is empty"
    if not phone.startswith("+"):
        return "it must start with + and the country code"
    if not _WRITTEN.fullmatch(phone):
        return "after the + it may hold only digits, spaces and dashes"
    return None


@lru_cache(maxsize=4096)
def _normalised(phone: str) -> tuple[str | None, str | None]:
    """(E.164 form, None) for a valid number, else (None, reason). Cached per input."""
    stripped = phone.strip()
    reason = _reason(stripped)
    if reason is not None:
        return None, reason
    import phonenumbers

    from ._e164 import parse_e164

    try:
        number = parse_e164(stripped)
    except phonenumbers.NumberParseException as error:
        kind = {v: k for k, v in vars(phonenumbers.NumberParseException).items() if k.isupper()}
        return None, _PARSE_REASONS.get(kind.get(error.error_type, ""), "it cannot be read")
    possible = phonenumbers.is_possible_number_with_reason(number)
    if possible != phonenumbers.ValidationResult.IS_POSSIBLE:
        kind = {v: k for k, v in vars(phonenumbers.ValidationResult).items() if k.isupper()}
        return None, _POSSIBLE_REASONS.get(kind.get(possible, ""), "it is not a possible number")
    if not phonenumbers.is_valid_number(number):
        return None, f"it is not a valid number for country code +{number.country_code}"
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164), None


def normalise_phone(phone: object, *, version: str | None = None) -> str:
    """The E.164 form of ``phone``, or InvalidPhoneNumber saying why there is none."""
    reason: str | None
    if not isinstance(phone, str):
        reason = f"it must be a string, not {type(phone).__name__}"
    elif len(phone) > LONGEST_PHONE:
        reason = f"it is too long ({len(phone)} characters; at most {LONGEST_PHONE} are read)"
    else:
        e164, reason = _normalised(phone)
        if e164 is not None:
            return e164
    raise InvalidPhoneNumber(
        f"{shown(phone)} is not a valid E.164 phone number: {reason}",
        phone=phone,
        reason=reason,
        version=version,
    )


def check_phone(phone: object, contract: Contract, version: str) -> str:
    """``phone`` as E.164, checked against the contract's pattern."""
    e164 = normalise_phone(phone, version=version)
    if contract.phone_pattern.search(e164) is None:
        reason = f"it does not match {contract.phone_pattern.pattern}"
        raise InvalidPhoneNumber(
            f"{shown(phone)} is not a valid phone number for Intercom-Version {version}: {reason}",
            phone=phone,
            reason=reason,
            version=version,
        )
    return e164


def _describe(value: object) -> str:
    return f"{shown(value)} ({type(value).__name__})"


def _valid_unicode(text: str) -> bool:
    if text.isascii():
        return True
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:  # a lone surrogate
        return False
    return True


def _unsendable(value: object, budget: list[int]) -> str | None:
    """Why JSON would not carry ``value`` as given, or None. ``budget`` holds how many
    more values may be walked (shared by all attributes of one call)."""
    stack: list[tuple[object, int]] = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        budget[0] -= 1
        if budget[0] < 0:
            return f"the custom attributes hold more than {MAX_VALUES} values in all"
        if isinstance(item, str):
            if not _valid_unicode(item):
                return f"holds a string that is not valid Unicode: {shown(item)}"
        elif isinstance(item, float):
            if not math.isfinite(item):
                return f"holds {item!r}, which JSON cannot carry"
        elif isinstance(item, (dict, list, tuple)):
            if depth >= MAX_DEPTH:
                return f"is nested more than {MAX_DEPTH} levels deep"
            if isinstance(item, dict):
                for key, inner in item.items():
                    if not isinstance(key, str):
                        return (
                            f"has the key {_describe(key)}: JSON keys are strings, so it "
                            "would not reach Intercom as given"
                        )
                    if not _valid_unicode(key):
                        return f"has a key that is not valid Unicode: {shown(key)}"
                    stack.append((inner, depth + 1))
            else:
                stack.extend((inner, depth + 1) for inner in item)
    return None


#: Values that need no walk: JSON carries them exactly (a str still needs its check).
_SCALARS = frozenset({int, bool, type(None)})


def check_custom_attributes(
    attributes: object, contract: Contract, version: str
) -> dict[str, object] | None:
    """The attributes to send (a shallow copy, values untouched), or InvalidCustomAttributes."""
    if attributes is None:
        return None
    allowed = contract.value_types

    def fail(message: str, attribute: str | None = None) -> InvalidCustomAttributes:
        return InvalidCustomAttributes(
            message, attribute=attribute, allowed=allowed, version=version
        )

    if not isinstance(attributes, Mapping):
        raise fail(
            f"custom_attributes must be a mapping of names to values, "
            f"not {type(attributes).__name__}"
        )
    copy = dict(attributes)
    budget = [MAX_VALUES]
    for name, value in copy.items():
        if not isinstance(name, str):
            raise fail(f"custom attribute names must be strings, not {_describe(name)}")
        if not _valid_unicode(name):
            raise fail(f"custom attribute name {shown(name)} is not valid Unicode", name)
        if type(value) in _SCALARS:
            budget[0] -= 1
            continue
        if isinstance(value, float) and not math.isfinite(value):
            raise fail(
                f"custom attribute {shown(name)} is {value!r}, which JSON cannot carry", name
            )
        why = _unsendable(value, budget)
        if why is not None:
            raise fail(f"custom attribute {shown(name)} {why}", name)
    problem = contract.problem(copy)
    if problem is not None:
        name, detail = problem
        kinds = ", ".join(allowed) or "none"
        if name is None:
            message = f"custom_attributes are not allowed by Intercom-Version {version}"
        elif detail is None:
            message = (
                f"custom attribute {shown(name)} is {_describe(copy[name])}, which "
                f"Intercom-Version {version} does not allow"
            )
        else:
            message = (
                f"custom attribute {shown(name)} is not allowed by Intercom-Version "
                f"{version}: {shorten(detail, _DETAIL_LIMIT)}"
            )
        raise fail(f"{message} (allowed values: {kinds})", name)
    return copy
