from __future__ import annotations

import random

import phonenumbers
import pytest

from intercom_phone_switch.fake import PhoneKind, classify


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
