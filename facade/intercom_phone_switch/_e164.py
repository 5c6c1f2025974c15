"""``phonenumbers.parse`` for the common case, a plus sign and digits: shared by the
client's phone check and the fake's."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import phonenumbers
from phonenumbers import PhoneMetadata
from phonenumbers import phonenumberutil as _util

__all__ = ["parse_e164"]

# Private helpers of phonenumbers: where a release renames them, parse does it all.
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
