"""The contacts (users or leads) whose custom attributes the fake updated, by phone."""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from intercom_phone_switch.fake._bounds import CONTACTS_CAP


@dataclass(frozen=True)
class Contact:
    """A contact as the fake workspace stores it."""

    phone: str
    #: Every custom attribute set so far; later requests overwrite earlier values.
    custom_attributes: Mapping[str, Any]
    #: When its custom attributes were last updated (UTC).
    updated_at: datetime

    def to_json(self) -> dict[str, Any]:
        return {
            "phone": self.phone,
            "custom_attributes": dict(self.custom_attributes),
            "updated_at": self.updated_at.isoformat(),
        }


class Contacts:
    """Contacts by phone, at most ``cap`` of them: the least recently updated go first.

    Safe to read from any thread while the fake is serving.
    """

    def __init__(self, cap: int = 10_000) -> None:
        self._cap: int = CONTACTS_CAP.check(cap)
        self._contacts: OrderedDict[str, Contact] = OrderedDict()
        self._lock = threading.Lock()

    @property
    def cap(self) -> int:
        return self._cap

    def merge(self, phone: str, custom_attributes: Mapping[str, Any], at: datetime) -> Contact:
        """Add ``custom_attributes`` to the contact with this phone, creating it if needed."""
        with self._lock:
            previous = self._contacts.pop(phone, None)
            merged = dict(previous.custom_attributes) if previous else {}
            merged.update(custom_attributes)
            contact = Contact(phone=phone, custom_attributes=merged, updated_at=at)
            self._contacts[phone] = contact
            while len(self._contacts) > self._cap:
                self._contacts.popitem(last=False)
            return contact

    def get(self, phone: str) -> Contact | None:
        with self._lock:
            return self._contacts.get(phone)

    def all(self) -> list[Contact]:
        """Every kept contact, least recently updated first."""
        with self._lock:
            return list(self._contacts.values())

    def clear(self) -> None:
        with self._lock:
            self._contacts.clear()

    def __len__(self) -> int:
        return len(self._contacts)

    def __iter__(self) -> Iterator[Contact]:
        return iter(self.all())

    def __contains__(self, phone: object) -> bool:
        return phone in self._contacts

    def __repr__(self) -> str:
        return f"<Contacts {len(self)}, cap {self.cap}>"
