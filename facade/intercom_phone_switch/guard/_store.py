"""What every guard store offers: atomic claims on keys, and the record a claim leaves.

A record is in one of four states:

- ``pending``: a call claimed the key and is sending; its ``lease`` says how long it may
  take (the call's own deadline, or a short lease its owner keeps renewing while the call
  runs). A pending record whose lease has run out is reported as ``unknown``: its owner
  stopped (killed, crashed, disconnected) without recording an outcome, and may have sent.
- ``accepted``: Intercom accepted the request; ``payload`` holds the PhoneSwitch.
- ``refused``: certainly nothing was sent; ``payload`` holds the error. The key is free:
  a claim on it succeeds.
- ``unknown``: a request may have reached Intercom; ``payload`` holds the error.

Only an absent (or expired) or refused key can be claimed. A pending record lives at
least as long as its lease; an outcome is kept ``ttl`` seconds after it is recorded; then
the key is free again.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal, Protocol

__all__ = ["Final", "Payload", "Record", "State", "Store", "StoreError", "text_of"]

State = Literal["pending", "accepted", "refused", "unknown"]
#: The states a call can record when it is done.
Final = Literal["accepted", "refused", "unknown"]
#: An outcome on its way into a store: its JSON, or a function that makes it. A store
#: that keeps records in this process may call it only when the record is read (most
#: never are); a store that writes elsewhere calls it at once (``text_of``).
Payload = str | Callable[[], str]


def text_of(payload: Payload) -> str:
    """The JSON of a payload."""
    return payload if isinstance(payload, str) else payload()


class StoreError(Exception):
    """The store could not be reached or failed; the message never holds a password."""


@dataclass(frozen=True)
class Record:
    """A key's record as a store read it."""

    state: State
    #: Who claimed the key: host, process id and a random part, one per call.
    owner: str
    #: JSON of the outcome ("" while pending, or when the owner stopped).
    payload: str
    #: Seconds until the store forgets the record (None when it cannot say).
    expires_in: float | None = None


class Store(Protocol):
    """An atomic key-value store for claims. Times are in seconds."""

    #: The store's URL, without any password.
    url: str
    #: Whether calls wait on I/O (the async client then runs them in a thread).
    blocking: bool

    def claim(self, key: str, owner: str, lease: float, ttl: float) -> Record | None:
        """Claim ``key`` for ``owner`` if it is absent, expired or refused: then None.
        Otherwise the record that holds it (a pending one of ``owner`` counts as claimed)."""
        ...

    def finish(self, key: str, owner: str, state: Final, payload: Payload, ttl: float) -> bool:
        """Record the outcome of ``owner``'s pending claim; False if it is not its claim."""
        ...

    def release(self, key: str, owner: str) -> bool:
        """Delete ``owner``'s pending claim; False if it is not its claim."""
        ...

    def renew(self, key: str, owner: str, lease: float) -> bool:
        """Extend ``owner``'s pending claim: its lease ends ``lease`` seconds from now, and
        the record lives at least that long. False if it is not (or no longer) its claim."""
        ...

    def get(self, key: str) -> Record | None:
        """The key's record, or None when it is free."""
        ...

    def forget(self, key: str) -> bool:
        """Delete the key's record whatever its state (an explicit override)."""
        ...

    def close(self) -> None: ...
