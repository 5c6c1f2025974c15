from __future__ import annotations

import random
from collections.abc import Callable

import phonenumbers
import pytest

from intercom_phone_switch.fake import PhoneKind, classify
from intercom_phone_switch.fake._phones import parse_e164


@pytest.mark.parametrize(
    ("phone", "kind"),
    [
        ("+353832345678", PhoneKind.TEXTABLE),  # Irish mobile
        ("+447911123456", PhoneKind.TEXTABLE),  # UK mobile
        ("+14155550123", PhoneKind.TEXTABLE),  # US: fixed line or mobile, cannot tell
        ("+40241100100", PhoneKind.LANDLINE),  # Romanian landline (the spec's example)
        ("+35312345678", PhoneKind.LANDLINE),  # Dublin landline
        ("+11234567890", PhoneKind.INVALID),  # the shape is right, the number is not
        ("+999123", PhoneKind.INVALID),
        ("+353832345678\n", PhoneKind.INVALID),
        ("+\uff13\uff15\uff13832345678", PhoneKind.INVALID),  # full-width digits
        ("not a number", PhoneKind.INVALID),
    ],
)
def test_classify(phone: str, kind: PhoneKind) -> None:
    assert classify(phone) is kind


def _classify_the_long_way(phone: str) -> PhoneKind:
    """What classify answered before it skipped is_valid_number."""
    try:
        number = phonenumbers.parse(phone, None)
    except phonenumbers.NumberParseException:
        return PhoneKind.INVALID
    if not phonenumbers.is_valid_number(number):
        return PhoneKind.INVALID
    if phonenumbers.number_type(number) == phonenumbers.PhoneNumberType.FIXED_LINE:
        return PhoneKind.LANDLINE
    return PhoneKind.TEXTABLE


def test_classify_agrees_with_is_valid_number_on_many_numbers() -> None:
    """classify (one type match per number, a mobile first) decides as parse,
    is_valid_number and number_type did, over every country calling code and many
    lengths, and over numbers of every type in every region."""
    draw = random.Random(20)
    codes = sorted(phonenumbers.COUNTRY_CODE_TO_REGION_CODE)
    phones = [
        "+" + str(code) + "".join(draw.choice("0123456789") for _ in range(draw.randint(1, 12)))
        for code in codes
        for _ in range(12)
    ]
    # And numbers of every type in every region (the examples phonenumbers ships, their
    # last digits changed): mobiles, landlines, toll free, shared numbers...
    for region in sorted(phonenumbers.SUPPORTED_REGIONS):
        for kind in range(12):  # every PhoneNumberType with examples
            example = phonenumbers.example_number_for_type(region, kind)
            if example is None:
                continue
            e164 = phonenumbers.format_number(example, phonenumbers.PhoneNumberFormat.E164)
            phones.append(e164)
            phones.extend(e164[:-3] + f"{draw.randrange(1000):03d}" for _ in range(3))
    kinds = {classify.__wrapped__(phone): phone for phone in phones}
    assert set(kinds) == set(PhoneKind)  # the sample reaches every kind
    for phone in phones:
        assert classify.__wrapped__(phone) is _classify_the_long_way(phone), phone


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
