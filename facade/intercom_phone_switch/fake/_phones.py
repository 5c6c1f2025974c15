"""What kind of number a phone is: one that can get an SMS, a landline, or no number."""

from __future__ import annotations

import enum
import functools
from collections.abc import Callable
from typing import Any

import phonenumbers
from phonenumbers import PhoneMetadata, PhoneNumberType
from phonenumbers import phonenumberutil as _util

from intercom_phone_switch._e164 import parse_e164

# Private helpers of phonenumbers: where a release renames them, number_type does it all
# (slower).
_matches: Callable[[str, Any], bool] | None = getattr(_util, "_is_number_matching_desc", None)
_type_of: Callable[[str, Any], int] | None = getattr(_util, "_number_type_helper", None)


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
        number = parse_e164(phone)
    except phonenumbers.NumberParseException:
        return PhoneKind.INVALID
    # number_type is UNKNOWN exactly when is_valid_number is False (both match the
    # number against its region's patterns): one match instead of two.
    found = _number_type(number)
    if found == PhoneNumberType.UNKNOWN:
        return PhoneKind.INVALID
    if found == PhoneNumberType.FIXED_LINE:
        return PhoneKind.LANDLINE
    return PhoneKind.TEXTABLE


def _number_type(number: phonenumbers.PhoneNumber) -> int:
    """phonenumbers.number_type, a mobile number first: number_type tries eight special
    kinds (premium rate, toll free, ...) and the fixed line before the mobile pattern,
    and every kind but the fixed line is textable, so a number that matches the mobile
    pattern (where it differs from the fixed line's) is MOBILE for this purpose after two
    matches instead of eleven. Anything else gets number_type's own answer."""
    if _matches is None or _type_of is None:
        return int(phonenumbers.number_type(number))
    region = phonenumbers.region_code_for_number(number)
    if region is None or number.country_code is None:
        return int(PhoneNumberType.UNKNOWN)  # no region's metadata: what number_type says
    metadata = PhoneMetadata.metadata_for_region_or_calling_code(number.country_code, region)
    if metadata is None:
        return int(PhoneNumberType.UNKNOWN)
    national = phonenumbers.national_significant_number(number)
    if (
        not metadata.same_mobile_and_fixed_line_pattern
        and _matches(national, metadata.general_desc)
        and _matches(national, metadata.mobile)
    ):
        return int(PhoneNumberType.MOBILE)
    return int(_type_of(national, metadata))
