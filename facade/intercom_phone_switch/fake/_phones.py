"""What kind of number a phone is: one that can get an SMS, a landline, or no number."""

from __future__ import annotations

import enum
import functools

import phonenumbers


class PhoneKind(enum.Enum):
    #: Not a valid phone number: 400 invalid_phone_number.
    INVALID = "invalid"
    #: A fixed-line number, which cannot receive an SMS: 422 landline_phone.
    LANDLINE = "landline"
    #: Anything else that is valid: the SMS goes out.
    TEXTABLE = "textable"


@functools.lru_cache(maxsize=4096)
def classify(phone: str) -> PhoneKind:
    """Classify an E.164 string (the request schema has already checked its form)."""
    if not phone.isascii() or phone != phone.strip():
        # The spec's pattern is an ECMA-262 regex, whose $ does not match before a
        # trailing newline as Python's does.
        return PhoneKind.INVALID
    try:
        number = phonenumbers.parse(phone, None)
    except phonenumbers.NumberParseException:
        return PhoneKind.INVALID
    # number_type is UNKNOWN exactly when is_valid_number is False (both match the
    # number against its region's patterns): one match instead of two.
    found = phonenumbers.number_type(number)
    if found == phonenumbers.PhoneNumberType.UNKNOWN:
        return PhoneKind.INVALID
    if found == phonenumbers.PhoneNumberType.FIXED_LINE:
        return PhoneKind.LANDLINE
    return PhoneKind.TEXTABLE
