from __future__ import annotations

from datetime import datetime, timezone

import pytest

from intercom_phone_switch.fake import Contacts

AT = datetime(2024, 1, 2, tzinfo=timezone.utc)
LATER = datetime(2024, 1, 3, tzinfo=timezone.utc)


def test_merges_custom_attributes_per_phone() -> None:
    contacts = Contacts()
    contacts.merge("+1", {"a": 1, "b": "x"}, AT)
    contact = contacts.merge("+1", {"b": "y", "c": True}, LATER)
    assert contact.custom_attributes == {"a": 1, "b": "y", "c": True}
    assert contact.updated_at == LATER
    assert contacts.get("+1") == contact
    assert contacts.get("+2") is None
    assert "+1" in contacts
    assert len(contacts) == 1


def test_merging_does_not_share_the_callers_mapping() -> None:
    contacts = Contacts()
    given = {"a": 1}
    contacts.merge("+1", given, AT)
    given["a"] = 2
    contact = contacts.get("+1")
    assert contact is not None
    assert contact.custom_attributes == {"a": 1}


def test_least_recently_updated_go_first() -> None:
    contacts = Contacts(cap=2)
    contacts.merge("+1", {"a": 1}, AT)
    contacts.merge("+2", {"a": 1}, AT)
    contacts.merge("+1", {"a": 2}, AT)  # +1 is now the most recent
    contacts.merge("+3", {"a": 1}, AT)
    assert [c.phone for c in contacts.all()] == ["+1", "+3"]
    assert [c.phone for c in contacts] == ["+1", "+3"]


def test_clear_and_cap() -> None:
    contacts = Contacts(cap=5)
    contacts.merge("+1", {"a": 1}, AT)
    contacts.clear()
    assert contacts.all() == []
    assert contacts.cap == 5
    with pytest.raises(ValueError, match="contacts_cap must be in 1"):
        Contacts(cap=0)


def test_to_json() -> None:
    contact = Contacts().merge("+1", {"a": 1}, AT)
    assert contact.to_json() == {
        "phone": "+1",
        "custom_attributes": {"a": 1},
        "updated_at": "2024-01-02T00:00:00+00:00",
    }


def test_one_contact_keeps_at_most_contact_bytes() -> None:
    contacts = Contacts(contact_bytes=4096)
    for round_ in range(200):
        names = {f"name_{round_}_{index}": index for index in range(20)}
        contact = contacts.merge("+1", names, AT)
    assert len(contact._attributes) <= 4096
    kept = contact.custom_attributes
    assert {f"name_199_{index}" for index in range(20)} <= set(kept)  # the newest stay
    assert "name_0_0" not in kept
    assert contacts.bytes < 4096 + 2048


def test_re_set_attributes_count_as_recent() -> None:
    contacts = Contacts(contact_bytes=1024)
    contacts.merge("+1", {"keep": 1}, AT)
    for round_ in range(100):
        contacts.merge("+1", {"keep": round_, f"other{round_}": "x" * 20}, AT)
    contact = contacts.get("+1")
    assert contact is not None
    assert contact.custom_attributes["keep"] == 99


def test_keeps_at_most_max_bytes_of_contacts() -> None:
    contacts = Contacts(max_bytes=100 * 1024)
    for index in range(100):
        contacts.merge(f"+{index}", {"a": "x" * 5_000}, AT)
    assert contacts.bytes <= 100 * 1024
    assert 10 <= len(contacts) <= 20
    assert f"+{99}" in contacts
