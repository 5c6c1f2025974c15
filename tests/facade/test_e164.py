"""The quick parse of a plus sign and digits, against phonenumbers.parse itself."""

from __future__ import annotations

import random
from collections.abc import Callable

import phonenumbers

from intercom_phone_switch._e164 import parse_e164


def _sample_e164(seed: int) -> list[str]:
    """Numbers that reach every step of parse: random digits after every country code,
    each region's example of each type, with its national prefix written in (parse
    strips it), with leading zeros, too short and too long."""
    draw = random.Random(seed)
    phones = []
    for code in sorted(phonenumbers.COUNTRY_CODE_TO_REGION_CODE):
        for length in range(0, 14):
            phones.append(f"+{code}" + "".join(draw.choice("0123456789") for _ in range(length)))
        phones.append(f"+{code}0" + "".join(draw.choice("0123456789") for _ in range(9)))
        phones.append(f"+{code}00" + "".join(draw.choice("0123456789") for _ in range(8)))
    for region in sorted(phonenumbers.SUPPORTED_REGIONS):
        metadata = phonenumbers.PhoneMetadata.metadata_for_region(region)
        prefix = (metadata.national_prefix or "") if metadata else ""
        for kind in range(12):
            example = phonenumbers.example_number_for_type(region, kind)
            if example is None:
                continue
            national = phonenumbers.national_significant_number(example)
            code = example.country_code
            phones += [f"+{code}{national}", f"+{code}{prefix}{national}", f"+{code}0{national}"]
    phones += ["+000", "+1", "+12", "+123", "+0123456", "+999999999999999", "+8001234"]
    return phones


def _parsed(parse: Callable[[str], object], phone: str) -> object:
    try:
        return parse(phone)
    except phonenumbers.NumberParseException as error:
        return ("refused", error.error_type)


def test_parse_e164_is_parse() -> None:
    """The quick parse of a plus and digits gives parse's own PhoneNumber (every field),
    or refuses the same way, for every number of the sample."""
    phones = _sample_e164(19)
    assert len(phones) > 5000
    refused = 0
    for phone in phones:
        expected = _parsed(lambda text: phonenumbers.parse(text, None), phone)
        assert _parsed(parse_e164, phone) == expected, phone
        refused += isinstance(expected, tuple)
    assert 0 < refused < len(phones)  # both outcomes are in the sample
