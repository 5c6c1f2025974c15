"""The contacts (users or leads) whose custom attributes the fake updated, by phone,
bounded in entries and in bytes."""

from __future__ import annotations

import builtins
import threading
from collections import OrderedDict
from collections.abc import Iterator, Mapping
from datetime import datetime
from typing import Any

from intercom_phone_switch.fake._bounds import CONTACTS_CAP, MAX_BODY_BYTES, STATE_BYTES

from ._packed import ENTRY_OVERHEAD, pack, unpack, with_attributes

#: How many bytes of contacts are kept by default (attributes plus overhead).
DEFAULT_MAX_BYTES = 32 * 1024 * 1024
#: How many bytes of custom attributes one contact keeps by default.
DEFAULT_CONTACT_BYTES = 64 * 1024


class Contact:
    """A contact as the fake workspace stores it. Immutable."""

    __slots__ = ("_attributes", "phone", "updated_at")

    _attributes: bytes
    phone: str
    #: When its custom attributes were last updated (UTC).
    updated_at: datetime

    def __init__(
        self, phone: str, custom_attributes: Mapping[str, Any], updated_at: datetime
    ) -> None:
        object.__setattr__(self, "phone", phone)
        object.__setattr__(self, "updated_at", updated_at)
        object.__setattr__(self, "_attributes", pack(custom_attributes))

    @classmethod
    def _packed(cls, phone: str, attributes_json: bytes, updated_at: datetime) -> Contact:
        """A contact whose attributes are already compact JSON (packed once)."""
        contact = cls.__new__(cls)
        object.__setattr__(contact, "phone", phone)
        object.__setattr__(contact, "updated_at", updated_at)
        object.__setattr__(contact, "_attributes", attributes_json)
        return contact

    @property
    def attributes_json(self) -> bytes:
        """The custom attributes as the compact JSON kept (never decoded)."""
        return self._attributes

    @property
    def custom_attributes(self) -> dict[str, Any]:
        """Every custom attribute kept, least recently set first; later requests
        overwrite earlier values (a fresh copy each time)."""
        return unpack(self._attributes)

    @property
    def size(self) -> int:
        return ENTRY_OVERHEAD + len(self._attributes) + 2 * len(self.phone)

    def __setattr__(self, name: str, value: object) -> None:
        raise AttributeError("Contact is immutable")

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Contact) and (
            self.phone,
            self._attributes,
            self.updated_at,
        ) == (other.phone, other._attributes, other.updated_at)

    def __hash__(self) -> int:
        return hash((self.phone, self._attributes, self.updated_at))

    def __repr__(self) -> str:
        return f"Contact(phone={self.phone!r}, updated_at={self.updated_at!r})"

    def json_bytes(self) -> bytes:
        """``to_json`` as JSON, without decoding the attributes."""
        fields = {"phone": self.phone, "updated_at": self.updated_at.isoformat()}
        return with_attributes(fields, self._attributes)

    def to_json(self) -> dict[str, Any]:
        return {
            "phone": self.phone,
            "custom_attributes": self.custom_attributes,
            "updated_at": self.updated_at.isoformat(),
        }


def _item_bytes(key: str, value: Any) -> int:
    """What one attribute adds to the packed JSON (its key, value, colon and comma)."""
    return len(pack({key: value})) - 1


class Contacts:
    """Contacts by phone: at most ``cap`` of them and ``max_bytes`` bytes (the least
    recently updated go first); each keeps at most ``contact_bytes`` bytes of custom
    attributes (the least recently set go first).

    Safe to read from any thread while the fake is serving.
    """

    def __init__(
        self,
        cap: int = 10_000,
        max_bytes: int = DEFAULT_MAX_BYTES,
        contact_bytes: int = DEFAULT_CONTACT_BYTES,
    ) -> None:
        self._cap: int = CONTACTS_CAP.check(cap)
        self._max_bytes: int = STATE_BYTES.check(max_bytes)
        self._contact_bytes: int = MAX_BODY_BYTES.check(contact_bytes)
        self._contacts: OrderedDict[str, Contact] = OrderedDict()
        self._bytes = 0
        self._lock = threading.Lock()

    @property
    def cap(self) -> int:
        return self._cap

    @property
    def max_bytes(self) -> int:
        return self._max_bytes

    @property
    def bytes(self) -> int:
        """The bytes the kept contacts count against ``max_bytes``."""
        return self._bytes

    def merge(
        self,
        phone: str,
        custom_attributes: Mapping[str, Any],
        at: datetime,
        *,
        attributes_json: builtins.bytes | None = None,
    ) -> Contact:
        """Add ``custom_attributes`` to the contact with this phone, creating it if needed.

        ``attributes_json``: ``custom_attributes`` already packed (the outbox's copy),
        kept as it is by a new contact rather than packed again.
        """
        with self._lock:
            previous = self._contacts.pop(phone, None)
            if previous is not None:
                self._bytes -= previous.size
            if (
                previous is None
                and attributes_json is not None
                and len(attributes_json) <= self._contact_bytes
            ):
                contact = Contact._packed(phone, attributes_json, at)
            else:
                merged = previous.custom_attributes if previous else {}
                for key in custom_attributes:
                    merged.pop(key, None)  # re-set attributes become the most recent
                merged.update(custom_attributes)
                contact = Contact._packed(phone, self._trim(merged), at)
            self._contacts[phone] = contact
            self._bytes += contact.size
            while len(self._contacts) > self._cap or (
                self._bytes > self._max_bytes and len(self._contacts) > 1
            ):
                self._bytes -= self._contacts.popitem(last=False)[1].size
            return contact

    def _trim(self, merged: dict[str, Any]) -> builtins.bytes:
        """``merged`` packed, without its least recently set attributes beyond
        ``contact_bytes``."""
        packed = pack(merged)
        if len(packed) <= self._contact_bytes:
            return packed
        size = 2 + sum(_item_bytes(key, value) for key, value in merged.items())
        for key in list(merged):
            if size <= self._contact_bytes or len(merged) == 1:
                break
            size -= _item_bytes(key, merged.pop(key))
        return pack(merged)

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
            self._bytes = 0

    def __len__(self) -> int:
        return len(self._contacts)

    def __iter__(self) -> Iterator[Contact]:
        return iter(self.all())

    def __contains__(self, phone: object) -> bool:
        return phone in self._contacts

    def __repr__(self) -> str:
        return f"<Contacts {len(self)}, cap {self.cap}>"
