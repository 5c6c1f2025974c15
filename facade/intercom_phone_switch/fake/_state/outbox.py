"""The outbox: every SMS the fake sent, newest last, bounded in entries and in bytes."""

from __future__ import annotations

import threading
from collections import deque
from collections.abc import Iterator, Mapping
from datetime import datetime, timezone
from typing import Any

from intercom_phone_switch.fake._bounds import OUTBOX_CAP, STATE_BYTES

from ._packed import ENTRY_OVERHEAD, pack, unpack, with_attributes

#: How many bytes of SMS the outbox keeps by default (attributes plus overhead).
DEFAULT_MAX_BYTES = 32 * 1024 * 1024
#: The longest phone filter looked at.
MAX_FILTER = 64


def phone_filter(text: str | None) -> str | None:
    """What a typed phone filter keeps: its ASCII digits and plus signs; None for no
    filter (nothing but spaces). The one rule of the web outbox and the admin API.

    A ``+`` typed unencoded into a query string arrives as a space and is dropped; the
    digits still match.
    """
    if text is None:
        return None
    text = text[:MAX_FILTER]
    if not text.strip():
        return None
    return "".join(ch for ch in text if (ch.isdecimal() and ch.isascii()) or ch == "+")


def filtered(messages: list[SentSms], needle: str | None) -> list[SentSms]:
    """The messages whose phone contains ``needle`` (a ``phone_filter``), all for None;
    none for a filter that kept nothing."""
    if needle is None:
        return messages
    return [sms for sms in messages if needle and needle in sms.phone]


class SentSms:
    """One SMS holding a Messenger link, as the fake workspace sent it. Immutable."""

    __slots__ = (
        "_attributes",
        "phone",
        "request_id",
        "sent_at",
        "sequence",
        "spec_version",
        "url",
        "version",
    )

    _attributes: bytes
    #: The number the SMS went to (E.164).
    phone: str
    #: The Messenger link in the SMS, the ``url`` of the 200 answer.
    url: str
    #: The Intercom-Version in effect: the header's value, or the workspace default.
    version: str
    #: The supported version whose effective spec validated the request.
    spec_version: str
    #: The request id of the call that sent it.
    request_id: str
    #: When it was sent (UTC).
    sent_at: datetime
    #: The request's place among those that passed the token, budget and version checks.
    sequence: int

    def __init__(
        self,
        phone: str,
        url: str,
        custom_attributes: Mapping[str, Any],
        version: str,
        spec_version: str,
        request_id: str,
        sent_at: datetime,
        sequence: int = 0,
    ) -> None:
        store = object.__setattr__
        store(self, "phone", phone)
        store(self, "url", url)
        store(self, "version", version)
        store(self, "spec_version", spec_version)
        store(self, "request_id", request_id)
        store(self, "sent_at", sent_at)
        store(self, "sequence", sequence)
        store(self, "_attributes", pack(custom_attributes))

    @property
    def attributes_json(self) -> bytes:
        """The custom attributes as the compact JSON kept (never decoded)."""
        return self._attributes

    @property
    def custom_attributes(self) -> dict[str, Any]:
        """The custom attributes that came with the request (a fresh copy each time)."""
        return unpack(self._attributes)

    @property
    def size(self) -> int:
        """The bytes this record counts against the outbox's budget."""
        return ENTRY_OVERHEAD + len(self._attributes) + len(self.phone) + len(self.url)

    def __setattr__(self, name: str, value: object) -> None:
        raise AttributeError("SentSms is immutable")

    def _key(self) -> tuple[object, ...]:
        return (
            self.phone,
            self.url,
            self._attributes,
            self.version,
            self.spec_version,
            self.request_id,
            self.sent_at,
            self.sequence,
        )

    def __eq__(self, other: object) -> bool:
        return isinstance(other, SentSms) and self._key() == other._key()

    def __hash__(self) -> int:
        return hash(self._key())

    def __repr__(self) -> str:
        return (
            f"SentSms(phone={self.phone!r}, url={self.url!r}, version={self.version!r},"
            f" request_id={self.request_id!r}, sequence={self.sequence})"
        )

    def json_bytes(self) -> bytes:
        """``to_json`` as JSON, without decoding the attributes."""
        fields = self.to_json(attributes=False)
        return with_attributes(fields, self._attributes)

    def to_json(self, attributes: bool = True) -> dict[str, Any]:
        fields = {
            "phone": self.phone,
            "url": self.url,
            "version": self.version,
            "spec_version": self.spec_version,
            "request_id": self.request_id,
            "sent_at": self.sent_at.isoformat(),
            "sequence": self.sequence,
        }
        if attributes:
            fields["custom_attributes"] = self.custom_attributes
        return fields


class Outbox:
    """The SMS sent so far, oldest first; only the newest are kept: at most ``cap`` of
    them and ``max_bytes`` bytes (their attributes' JSON plus about 1 KiB each).

    Safe to read from any thread while the fake is serving.
    """

    def __init__(self, cap: int = 10_000, max_bytes: int = DEFAULT_MAX_BYTES) -> None:
        cap = OUTBOX_CAP.check(cap)
        self._max_bytes: int = STATE_BYTES.check(max_bytes)
        self._messages: deque[SentSms] = deque()
        self._cap: int = cap
        self._bytes = 0
        self._lock = threading.Lock()
        self._total = 0

    @property
    def cap(self) -> int:
        """How many messages are kept before the oldest are dropped."""
        return self._cap

    @property
    def max_bytes(self) -> int:
        """How many bytes of messages are kept before the oldest are dropped."""
        return self._max_bytes

    @property
    def bytes(self) -> int:
        """The bytes the kept messages count against ``max_bytes``."""
        return self._bytes

    @property
    def total(self) -> int:
        """How many SMS were sent since the last reset, including those no longer kept."""
        return self._total

    def record(self, sms: SentSms) -> None:
        with self._lock:
            self._messages.append(sms)
            self._bytes += sms.size
            self._total += 1
            while len(self._messages) > self._cap or (
                self._bytes > self._max_bytes and len(self._messages) > 1
            ):
                self._bytes -= self._messages.popleft().size

    def messages(self, phone: str | None = None) -> list[SentSms]:
        """The kept messages, oldest first; only those to ``phone`` when given."""
        with self._lock:
            kept = list(self._messages)
        return kept if phone is None else [sms for sms in kept if sms.phone == phone]

    def matching(self, typed: str | None) -> list[SentSms]:
        """The kept messages, oldest first, whose phone contains what ``phone_filter``
        keeps of ``typed`` (all of them for None or blank text)."""
        return filtered(self.messages(), phone_filter(typed))

    def last(self) -> SentSms | None:
        """The newest message, or None when nothing was sent."""
        with self._lock:
            return self._messages[-1] if self._messages else None

    def clear(self) -> None:
        with self._lock:
            self._messages.clear()
            self._bytes = 0
            self._total = 0

    def __len__(self) -> int:
        return len(self._messages)

    def __iter__(self) -> Iterator[SentSms]:
        return iter(self.messages())

    def __repr__(self) -> str:
        return f"<Outbox {len(self)} kept of {self.total} sent, cap {self.cap}>"


def utc(timestamp: float) -> datetime:
    return datetime.fromtimestamp(timestamp, tz=timezone.utc)
