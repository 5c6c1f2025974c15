"""What kind of number a phone is: one that can get an SMS, a landline, or no number."""

from __future__ import annotations

import enum
import functools
import re
from collections.abc import Callable
from typing import Any

import phonenumbers
from phonenumbers import PhoneMetadata, PhoneNumberType
from phonenumbers import phonenumberutil as _util

# Private helpers of phonenumbers: where a release renames them, parse and number_type
# do it all (slower).
_matches: Callable[[str, Any], bool] | None = getattr(_util, "_is_number_matching_desc", None)
_type_of: Callable[[str, Any], int] | None = getattr(_util, "_number_type_helper", None)
_strip_prefix: Callable[[str, Any], tuple[str, str, bool]] | None = getattr(
    _util, "_maybe_strip_national_prefix_carrier_code", None
)
_test_length: Callable[[str, Any], int] | None = getattr(_util, "_test_number_length", None)
_leading_zeros: Callable[[str, Any], None] | None = getattr(
    _util, "_set_italian_leading_zeros_for_phone_number", None
)
_SHORT = (
    _util.ValidationResult.TOO_SHORT,
    _util.ValidationResult.IS_POSSIBLE_LOCAL_ONLY,
    _util.ValidationResult.INVALID_LENGTH,
)
#: A plus sign and 3 to 15 ASCII digits: what parse_e164 takes; parse takes the rest.
_E164 = re.compile(r"\+[0-9]{3,15}")


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


def parse_e164(phone: str) -> phonenumbers.PhoneNumber:
    """``phonenumbers.parse(phone, None)``, the same PhoneNumber or the same refusal
    (NumberParseException), in a third of the time for a plus sign and ASCII digits: the
    steps parse takes for such a string (no extension, no RFC 3966 context, nothing to
    normalize) are skipped, the country code and national prefix are found as it finds
    them. Anything else goes to parse itself."""
    if (
        _strip_prefix is None
        or _test_length is None
        or _leading_zeros is None
        or not _E164.fullmatch(phone)
    ):
        return phonenumbers.parse(phone, None)
    digits = phone[1:]
    country_code = 0
    if digits[0] != "0":
        for end in (1, 2, 3):
            if int(digits[:end]) in phonenumbers.COUNTRY_CODE_TO_REGION_CODE:
                country_code = int(digits[:end])
                national = digits[end:]
                break
    if not country_code:
        raise phonenumbers.NumberParseException(
            phonenumbers.NumberParseException.INVALID_COUNTRY_CODE,
            "Could not interpret numbers after plus-sign.",
        )
    if len(national) < 2:
        raise phonenumbers.NumberParseException(
            phonenumbers.NumberParseException.TOO_SHORT_NSN,
            "The string supplied is too short to be a phone number.",
        )
    region = phonenumbers.region_code_for_country_code(country_code)
    metadata = PhoneMetadata.metadata_for_region_or_calling_code(country_code, region)
    if metadata is not None:
        _, stripped, _ = _strip_prefix(national, metadata)
        if _test_length(stripped, metadata) not in _SHORT:
            national = stripped
    number = phonenumbers.PhoneNumber(country_code=country_code, national_number=int(national))
    _leading_zeros(national, number)
    return number


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
