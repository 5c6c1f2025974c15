"""The outbox: every SMS the fake sent, newest last, in a ring buffer of bounded size."""

from __future__ import annotations

import threading
from collections import deque
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any

from intercom_phone_switch.fake._bounds import OUTBOX_CAP


@dataclass(frozen=True)
class SentSms:
    """One SMS holding a Messenger link, as the fake workspace sent it."""

    #: The number the SMS went to (E.164).
    phone: str
    #: The Messenger link in the SMS, the ``url`` of the 200 answer.
    url: str
    #: The custom attributes that came with the request, exactly as sent.
    custom_attributes: Mapping[str, Any]
    #: The Intercom-Version in effect: the header's value, or the workspace default.
    version: str
    #: The supported version whose effective spec validated the request.
    spec_version: str
    #: The request id of the call that sent it.
    request_id: str
    #: When it was sent (UTC).
    sent_at: datetime
    #: The request's place among those that passed the token, budget and version checks.
    sequence: int = field(default=0)

    def to_json(self) -> dict[str, Any]:
        return {
            "phone": self.phone,
            "url": self.url,
            "custom_attributes": dict(self.custom_attributes),
            "version": self.version,
            "spec_version": self.spec_version,
            "request_id": self.request_id,
            "sent_at": self.sent_at.isoformat(),
            "sequence": self.sequence,
        }


class Outbox:
    """The SMS sent so far, oldest first; only the newest ``cap`` are kept.

    Safe to read from any thread while the fake is serving.
    """

    def __init__(self, cap: int = 10_000) -> None:
        cap = OUTBOX_CAP.check(cap)
        self._messages: deque[SentSms] = deque(maxlen=cap)
        self._lock = threading.Lock()
        self._total = 0

    @property
    def cap(self) -> int:
        """How many messages are kept before the oldest are dropped."""
        maxlen = self._messages.maxlen
        assert maxlen is not None
        return maxlen

    @property
    def total(self) -> int:
        """How many SMS were sent since the last reset, including those no longer kept."""
        return self._total

    def record(self, sms: SentSms) -> None:
        with self._lock:
            self._messages.append(sms)
            self._total += 1

    def messages(self, phone: str | None = None) -> list[SentSms]:
        """The kept messages, oldest first; only those to ``phone`` when given."""
        with self._lock:
            kept = list(self._messages)
        return kept if phone is None else [sms for sms in kept if sms.phone == phone]

    def last(self) -> SentSms | None:
        """The newest message, or None when nothing was sent."""
        with self._lock:
            return self._messages[-1] if self._messages else None

    def clear(self) -> None:
        with self._lock:
            self._messages.clear()
            self._total = 0

    def __len__(self) -> int:
        return len(self._messages)

    def __iter__(self) -> Iterator[SentSms]:
        return iter(self.messages())

    def __repr__(self) -> str:
        return f"<Outbox {len(self)} kept of {self.total} sent, cap {self.cap}>"


def utc(timestamp: float) -> datetime:
    return datetime.fromtimestamp(timestamp, tz=timezone.utc)
