"""The Redis store: many machines. Every transition is one Lua script, so it is atomic.

A record is a hash (``s`` state, ``o`` owner, ``p`` payload, ``l`` end of the lease in
the server's milliseconds) with a TTL (PEXPIRE). Leases are measured on the Redis
server's clock (TIME), so the machines' clocks need not agree. Every key starts with the
guard's namespace. ``redis://``, ``rediss://`` (TLS) and ``unix:///path/to/redis.sock``
URLs are taken, with redis-py's own options. Needs redis-py
(``pip install 'intercom-phone-switch[redis]'``).
"""

from __future__ import annotations

import hashlib
import math
import os
from typing import TYPE_CHECKING, Any

from intercom_phone_switch._redact import Masker, mask_url, url_secrets

from ._store import Final, Payload, Record, State, StoreError, text_of

if TYPE_CHECKING:
    import redis

__all__ = ["RedisStore"]

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
RENEW = (
    _MINE
    + _NOW
    + """
local lease = tonumber(ARGV[2])
redis.call('HSET', KEYS[1], 'l', now + lease)
if redis.call('PTTL', KEYS[1]) < lease then redis.call('PEXPIRE', KEYS[1], lease) end
return 1
"""
)

#: redis-py's URL options that are seconds: each must be a finite number above 0.
_SECONDS = ("socket_timeout", "socket_connect_timeout")


#: The longest lease or TTL given to Redis: ten years (a longer one, or an endless one,
#: is cut to it; PEXPIRE takes whole milliseconds).
_LONGEST = 10 * 365 * 24 * 3600.0


def _ms(seconds: float) -> int:
    return max(1, int(min(seconds, _LONGEST) * 1000))


def _accepted_options(connection_class: type) -> set[str]:
    """The keyword arguments a redis-py connection class takes (its own and its bases')."""
    import inspect

    names: set[str] = set()
    for cls in connection_class.__mro__:
        init = cls.__dict__.get("__init__")
        if init is None:
            continue
        try:
            parameters = inspect.signature(init).parameters.values()
        except (TypeError, ValueError):
            continue
        names.update(p.name for p in parameters if p.kind is not p.VAR_KEYWORD)
    return names


class RedisStore:
    """Records in Redis hashes, moved between states by Lua scripts.

    Scripts run as EVALSHA on connections this store keeps checked out of redis-py's
    pool, one per thread at a time: a command then costs one round trip and little
    else. A connection whose command failed or was interrupted is disconnected before
    it is used again (its answer might still be on the way), and a server that lost
    its scripts (a restart, SCRIPT FLUSH) is given them again.

    Every option of the URL is checked here, before any command: an option redis-py does
    not know, or a timeout that is not a finite number of seconds above 0, is a
    ValueError. No message, repr or log line shows the URL's password or user.
    """

    blocking = True

    def __init__(self, url: str, *, timeout: float = 2.0, **options: Any) -> None:
        try:
            import redis
        except ImportError:
            raise StoreError(
                "the Redis guard needs redis-py: pip install 'intercom-phone-switch[redis]'"
            ) from None
        self.url: str = mask_url(url)
        self._mask = Masker(url_secrets(url))
        self._errors: tuple[type[Exception], ...] = (redis.RedisError,)
        self._no_script: type[Exception] = redis.exceptions.NoScriptError
        try:
            client = redis.Redis.from_url(
                url, socket_timeout=timeout, socket_connect_timeout=timeout, **options
            )
        except (ValueError, TypeError) as error:
            raise ValueError(f"Redis guard URL {self.url}: {self._mask(str(error))}") from None
        self._check(client)
        self.client: redis.Redis = client
        self._sources: dict[str, str] = {}
        # redis-py's connections: their methods carry no annotations, so they are Any here.
        self._idle: list[Any] = []
        self._pid = os.getpid()
        self._claim = self.script(CLAIM)
        self._get = self.script(GET)
        self._finish = self.script(FINISH)
        self._release = self.script(RELEASE)
        self._renew = self.script(RENEW)

    def _check(self, client: Any) -> None:
        """Refuse, before any command, the options a connection would fail on later."""
        pool = client.connection_pool
        kwargs: dict[str, Any] = pool.connection_kwargs
        for name in _SECONDS:
            value = kwargs.get(name)
            if value is not None and not (
                isinstance(value, (int, float)) and math.isfinite(value) and value > 0
            ):
                raise ValueError(
                    f"Redis guard URL option {name} must be a finite number of seconds above 0"
                )
        unknown = sorted(set(kwargs) - _accepted_options(pool.connection_class))
        try:
            pool.connection_class(**kwargs)  # made, not connected: checks every option
        except TypeError as error:
            detail = ", ".join(unknown) if unknown else self._mask(str(error))
            raise ValueError(f"unknown Redis guard URL options: {detail}") from None
        except ValueError as error:
            raise ValueError(f"Redis guard URL {self.url}: {self._mask(str(error))}") from None

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
        text = self._mask(f"{type(error).__name__}: {error}")
        return StoreError(f"Redis guard {self.url}: {text}")

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

    def renew(self, key: str, owner: str, lease: float) -> bool:
        return bool(self.run(self._renew, [key], [owner, _ms(lease)]))

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
