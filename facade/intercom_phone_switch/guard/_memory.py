"""The memory store: one process, no I/O.

Each ``Guard("memory://")`` has a store of its own; ``memory://NAME`` names a store that
every guard of the process opened with that name shares.
"""

from __future__ import annotations

import threading
import time

from ._store import Final, Payload, Record, State

__all__ = ["MemoryStore", "shared"]

_PURGE_EVERY = 4096


class MemoryStore:
    """Records in a dict behind a lock; gone when the process ends."""

    blocking = False

    def __init__(self, name: str = "") -> None:
        self.url = f"memory://{name}"
        self._lock = threading.Lock()
        #: key -> [state, owner, payload, lease ends, expires] (monotonic seconds); a
        #: payload given as a function is called when the record is first read.
        self._records: dict[str, tuple[State, str, Payload, float, float]] = {}
        self._writes = 0

    def __repr__(self) -> str:
        return f"MemoryStore({self.url!r})"

    def _read(self, key: str, now: float) -> Record | None:
        found = self._records.get(key)
        if found is None:
            return None
        state, owner, payload, lease, expires = found
        if expires <= now:
            del self._records[key]
            return None
        if not isinstance(payload, str):
            payload = payload()
            self._records[key] = (state, owner, payload, lease, expires)
        if state == "pending" and lease <= now:
            state = "unknown"
        return Record(state, owner, payload, expires - now)

    def claim(self, key: str, owner: str, lease: float, ttl: float) -> Record | None:
        with self._lock:
            now = time.monotonic()
            found = self._read(key, now)
            if found is not None and found.state != "refused":
                return found
            self._records[key] = ("pending", owner, "", now + lease, now + ttl)
            self._writes += 1
            if self._writes % _PURGE_EVERY == 0:
                self._purge(now)
            return None

    def _purge(self, now: float) -> None:
        for key in [k for k, record in self._records.items() if record[4] <= now]:
            del self._records[key]

    def finish(self, key: str, owner: str, state: Final, payload: Payload, ttl: float) -> bool:
        with self._lock:
            found = self._records.get(key)
            if found is None or found[0] != "pending" or found[1] != owner:
                return False
            self._records[key] = (state, owner, payload, 0.0, time.monotonic() + ttl)
            return True

    def release(self, key: str, owner: str) -> bool:
        with self._lock:
            found = self._records.get(key)
            if found is None or found[0] != "pending" or found[1] != owner:
                return False
            del self._records[key]
            return True

    def renew(self, key: str, owner: str, lease: float) -> bool:
        with self._lock:
            found = self._records.get(key)
            if found is None or found[0] != "pending" or found[1] != owner:
                return False
            ends = time.monotonic() + lease
            self._records[key] = (found[0], owner, found[2], ends, max(found[4], ends))
            return True

    def get(self, key: str) -> Record | None:
        with self._lock:
            return self._read(key, time.monotonic())

    def forget(self, key: str) -> bool:
        with self._lock:
            return self._records.pop(key, None) is not None

    def close(self) -> None:
        pass


_shared: dict[str, MemoryStore] = {}
_shared_lock = threading.Lock()


def shared(name: str) -> MemoryStore:
    """The process's memory store of that name, shared by every guard opened with it."""
    with _shared_lock:
        store = _shared.get(name)
        if store is None:
            store = _shared[name] = MemoryStore(name)
        return store
