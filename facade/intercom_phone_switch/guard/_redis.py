"""The Redis store: many machines. Every transition is one Lua script, so it is atomic.

A record is a hash (``s`` state, ``o`` owner, ``p`` payload, ``l`` end of the lease in
the server's milliseconds) with a TTL (PEXPIRE). Leases are measured on the Redis
server's clock (TIME), so the machines' clocks need not agree. Every key starts with the
guard's namespace. Needs redis-py (``pip install 'intercom-phone-switch[redis]'``).
"""

from __future__ import annotations

import hashlib
import os
from typing import TYPE_CHECKING, Any

from ._store import Final, Payload, Record, State, StoreError, text_of

if TYPE_CHECKING:
    import redis

__all__ = ["RedisStore", "redacted"]

_NOW = "local t = redis.call('TIME') local now = t[1] * 1000 + math.floor(t[2] / 1000)\n"
_READ = """
local function read(key, now)
  local r = redis.call('HMGET', key, 's', 'o', 'p', 'l')
  if not r[1] then return false end
  local state = r[1]
  if state == 'pending' and tonumber(r[4]) <= now then state = 'unknown' end
  return {state, r[2], r[3], redis.call('PTTL', key)}
end
"""
CLAIM = (
    _NOW
    + _READ
    + """
local found = read(KEYS[1], now)
if found and found[1] ~= 'refused' then return found end
redis.call('HSET', KEYS[1], 's', 'pending', 'o', ARGV[1], 'p', '', 'l', now + tonumber(ARGV[2]))
redis.call('PEXPIRE', KEYS[1], ARGV[3])
return false
"""
)
GET = _NOW + _READ + "return read(KEYS[1], now)\n"
_MINE = (
    "if redis.call('HGET', KEYS[1], 's') ~= 'pending' or "
    "redis.call('HGET', KEYS[1], 'o') ~= ARGV[1] then return 0 end\n"
)
FINISH = (
    _MINE
    + """
redis.call('HSET', KEYS[1], 's', ARGV[2], 'p', ARGV[3], 'l', 0)
redis.call('PEXPIRE', KEYS[1], ARGV[4])
return 1
"""
)
RELEASE = _MINE + "redis.call('DEL', KEYS[1]) return 1\n"


def redacted(url: str) -> str:
    """The URL without a password."""
    scheme, sep, rest = url.partition("://")
    auth, at, host = rest.rpartition("@")
    if not at:
        return url
    user = auth.split(":", 1)[0]
    return f"{scheme}{sep}{user + ':***' if user else '***'}@{host}"


def _ms(seconds: float) -> int:
    return max(1, int(seconds * 1000))


class RedisStore:
    """Records in Redis hashes, moved between states by Lua scripts.

    Scripts run as EVALSHA on connections this store keeps checked out of redis-py's
    pool, one per thread at a time: a command then costs one round trip and little
    else. A connection whose command failed or was interrupted is disconnected before
    it is used again (its answer might still be on the way), and a server that lost
    its scripts (a restart, SCRIPT FLUSH) is given them again.
    """

    blocking = True

    def __init__(self, url: str, *, timeout: float = 2.0, **options: Any) -> None:
        try:
            import redis
        except ImportError:
            raise StoreError(
                "the Redis guard needs redis-py: pip install 'intercom-phone-switch[redis]'"
            ) from None
        self.url = redacted(url)
        self._errors: tuple[type[Exception], ...] = (redis.RedisError,)
        self._no_script: type[Exception] = redis.exceptions.NoScriptError
        self.client: redis.Redis = redis.Redis.from_url(
            url, socket_timeout=timeout, socket_connect_timeout=timeout, **options
        )
        self._sources: dict[str, str] = {}
        # redis-py's connections: their methods carry no annotations, so they are Any here.
        self._idle: list[Any] = []
        self._pid = os.getpid()
        self._claim = self.script(CLAIM)
        self._get = self.script(GET)
        self._finish = self.script(FINISH)
        self._release = self.script(RELEASE)

    def __repr__(self) -> str:
        return f"RedisStore({self.url!r})"

    def script(self, source: str) -> str:
        """Register a Lua script; its SHA1 is what ``run`` takes."""
        sha = hashlib.sha1(source.encode(), usedforsecurity=False).hexdigest()
        self._sources[sha] = source
        return sha

    def run(self, script: str, keys: list[str], args: list[object]) -> Any:
        """The reply of a registered script; StoreError when Redis fails."""
        try:
            return self._evalsha(script, keys, args)
        except self._errors as error:
            raise self._failed(error) from None

    def _failed(self, error: Exception) -> StoreError:
        return StoreError(f"Redis guard {self.url}: {type(error).__name__}: {error}")

    def _evalsha(self, sha: str, keys: list[str], args: list[object]) -> Any:
        if self._pid != os.getpid():  # forked: the parent's connections are not ours
            self._pid = os.getpid()
            self._idle = []
        try:
            conn = self._idle.pop()
        except IndexError:
            conn = self.client.connection_pool.get_connection()
        try:
            reply = conn.retry.call_with_retry(
                lambda: self._call(conn, sha, keys, args), lambda _error: conn.disconnect()
            )
        except BaseException:
            conn.disconnect()  # whatever was left half sent or half read goes with it
            raise
        finally:
            self._idle.append(conn)
        return reply

    def _call(self, conn: Any, sha: str, keys: list[str], args: list[object]) -> Any:
        conn.send_command("EVALSHA", sha, len(keys), *keys, *args)
        try:
            return conn.read_response()
        except self._no_script:
            conn.send_command("SCRIPT", "LOAD", self._sources[sha])
            conn.read_response()
            conn.send_command("EVALSHA", sha, len(keys), *keys, *args)
            return conn.read_response()

    @staticmethod
    def _record(found: Any) -> Record | None:
        if not found:
            return None
        state, owner, payload, ttl = found
        checked: State = state.decode()
        return Record(checked, owner.decode(), payload.decode(), ttl / 1000 if ttl > 0 else None)

    def claim(self, key: str, owner: str, lease: float, ttl: float) -> Record | None:
        found = self._record(self.run(self._claim, [key], [owner, _ms(lease), _ms(ttl)]))
        if found is not None and found.state == "pending" and found.owner == owner:
            return None  # a retried claim that had gone through
        return found

    def finish(self, key: str, owner: str, state: Final, payload: Payload, ttl: float) -> bool:
        text = text_of(payload)
        return bool(self.run(self._finish, [key], [owner, state, text, _ms(ttl)]))

    def release(self, key: str, owner: str) -> bool:
        return bool(self.run(self._release, [key], [owner]))

    def get(self, key: str) -> Record | None:
        return self._record(self.run(self._get, [key], []))

    def forget(self, key: str) -> bool:
        try:
            return bool(self.client.delete(key))
        except self._errors as error:
            raise self._failed(error) from None

    def close(self) -> None:
        idle, self._idle = self._idle, []
        if self._pid == os.getpid():
            for conn in idle:
                self.client.connection_pool.release(conn)
        self.client.close()
