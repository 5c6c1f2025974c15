"""The SQLite store: many processes on one machine; records survive restarts.

One table in WAL mode: readers never block the writer, and a claim is one ``INSERT ...
ON CONFLICT DO UPDATE ... WHERE`` statement, atomic across processes. A writer that finds
the database locked waits up to the busy timeout. Times are wall-clock seconds, which
every process of the machine shares.

Durability: with ``synchronous=full`` (the default here) every claim is on disk (an
fsync of the WAL) before the SMS is sent, even across a power cut; the outcome recorded
after the send is not synced on its own (the next claim syncs it), because losing it is
safe: the claim is then found pending, and unknown once its lease runs out.
``?synchronous=normal`` syncs nothing per call (a killed process still loses nothing,
a power cut may lose the last claims); ``?synchronous=extra`` syncs every write.
"""

from __future__ import annotations

import sqlite3
import threading
import time
from pathlib import Path

from ._store import Final, Payload, Record, State, StoreError, text_of

__all__ = ["SqliteStore"]

_SCHEMA = """
CREATE TABLE IF NOT EXISTS guard (
    key TEXT PRIMARY KEY,
    state TEXT NOT NULL,
    owner TEXT NOT NULL,
    payload TEXT NOT NULL,
    lease_until REAL NOT NULL,
    expires_at REAL NOT NULL
) WITHOUT ROWID
"""
_CLAIM = """
INSERT INTO guard (key, state, owner, payload, lease_until, expires_at)
VALUES (:key, 'pending', :owner, '', :lease_until, :expires_at)
ON CONFLICT (key) DO UPDATE SET
    state = 'pending', owner = :owner, payload = '', lease_until = :lease_until,
    expires_at = :expires_at
WHERE guard.expires_at <= :now OR guard.state = 'refused'
"""
_SELECT = "SELECT state, owner, payload, lease_until, expires_at FROM guard WHERE key = ?"
_FINISH = """
UPDATE guard SET state = ?, payload = ?, lease_until = 0, expires_at = ?
WHERE key = ? AND owner = ? AND state = 'pending'
"""
_RELEASE = "DELETE FROM guard WHERE key = ? AND owner = ? AND state = 'pending'"
_RENEW = """
UPDATE guard SET lease_until = :ends, expires_at = MAX(expires_at, :ends)
WHERE key = :key AND owner = :owner AND state = 'pending'
"""
_PURGE_EVERY = 1024
_SYNCHRONOUS = ("full", "normal", "extra")


class SqliteStore:
    """A guard table in one SQLite file, shared by every process that opens it."""

    blocking = True

    def __init__(self, path: str | Path, *, busy_timeout: float = 10.0, synchronous: str = "full"):
        if synchronous.lower() not in _SYNCHRONOUS:
            raise ValueError(f"synchronous must be one of {', '.join(_SYNCHRONOUS)}")
        self.path = Path(path)
        self.url = f"sqlite:///{self.path}"
        self._busy_timeout = busy_timeout
        self._synchronous = synchronous.upper()
        #: full: claims are synced one by one, outcomes ride along with the next claim.
        self._durable_claims = self._synchronous == "FULL"
        self._lock = threading.Lock()
        self._db: sqlite3.Connection | None = None
        self._claims = 0

    def __repr__(self) -> str:
        return f"SqliteStore({self.url!r})"

    def _connection(self) -> sqlite3.Connection:
        if self._db is None:
            db = sqlite3.connect(
                self.path,
                timeout=self._busy_timeout,
                isolation_level=None,  # autocommit: every statement is its own transaction
                check_same_thread=False,  # every use holds self._lock
            )
            try:
                db.execute(f"PRAGMA busy_timeout = {int(self._busy_timeout * 1000)}")
                db.execute("PRAGMA journal_mode = WAL")
                base = "NORMAL" if self._durable_claims else self._synchronous
                db.execute(f"PRAGMA synchronous = {base}")
                db.execute(_SCHEMA)
            except BaseException:
                db.close()
                raise
            self._db = db
        return self._db

    def _run(self, sql: str, *args: object, **named: object) -> sqlite3.Cursor:
        try:
            return self._connection().execute(sql, named or args)
        except sqlite3.Error as error:
            raise StoreError(f"SQLite guard {self.path}: {error}") from None

    @staticmethod
    def _record(row: tuple[str, str, str, float, float] | None, now: float) -> Record | None:
        if row is None:
            return None
        state, owner, payload, lease_until, expires_at = row
        if expires_at <= now:
            return None
        if state == "pending" and lease_until <= now:
            state = "unknown"
        checked: State = state  # type: ignore[assignment]
        return Record(checked, owner, payload, expires_at - now)

    def claim(self, key: str, owner: str, lease: float, ttl: float) -> Record | None:
        with self._lock:
            while True:
                now = time.time()
                if self._durable_claims:
                    self._run("PRAGMA synchronous = FULL")
                try:
                    claimed = self._run(
                        _CLAIM,
                        key=key,
                        owner=owner,
                        lease_until=now + lease,
                        expires_at=now + ttl,
                        now=now,
                    ).rowcount
                finally:
                    if self._durable_claims:
                        self._run("PRAGMA synchronous = NORMAL")
                if claimed == 1:
                    self._claims += 1
                    if self._claims % _PURGE_EVERY == 0:
                        self._run("DELETE FROM guard WHERE expires_at <= ?", now)
                    return None
                found = self._record(self._run(_SELECT, key).fetchone(), time.time())
                if found is not None and found.state != "refused":
                    return found
                # Freed between the two statements: claim again.

    def finish(self, key: str, owner: str, state: Final, payload: Payload, ttl: float) -> bool:
        with self._lock:
            cursor = self._run(_FINISH, state, text_of(payload), time.time() + ttl, key, owner)
            return cursor.rowcount == 1

    def release(self, key: str, owner: str) -> bool:
        with self._lock:
            return self._run(_RELEASE, key, owner).rowcount == 1

    def renew(self, key: str, owner: str, lease: float) -> bool:
        with self._lock:
            ends = time.time() + lease
            return self._run(_RENEW, key=key, owner=owner, ends=ends).rowcount == 1

    def get(self, key: str) -> Record | None:
        with self._lock:
            return self._record(self._run(_SELECT, key).fetchone(), time.time())

    def forget(self, key: str) -> bool:
        with self._lock:
            return self._run("DELETE FROM guard WHERE key = ?", key).rowcount == 1

    def close(self) -> None:
        with self._lock:
            if self._db is not None:
                self._db.close()
                self._db = None
