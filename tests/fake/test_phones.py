from __future__ import annotations

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
