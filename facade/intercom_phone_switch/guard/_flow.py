"""One guarded send: claim the key (and the number's window), send, record the outcome.

The steps run on the store, so the sync client runs them in line and the async client in
a worker thread when the store does I/O. A call that finds its key pending polls the
store until the other call records an outcome, up to its own deadline.
"""

from __future__ import annotations

import itertools
import logging
import os
import socket
import time
import uuid
from collections.abc import Awaitable, Callable, Mapping
from typing import Any

from intercom_phone_switch._http import Token
from intercom_phone_switch._outcome import Outcome
from intercom_phone_switch._retry import Clock
from intercom_phone_switch.errors import PhoneSwitchError
from intercom_phone_switch.results import PhoneSwitch

from ._environment import environment_guard, wanted
from ._errors import GuardUnavailable, KeyInFlight, SendWindowClosed
from ._guard import Guard, check_key
from ._payload import load, payload, state_of
from ._store import Record, StoreError

__all__ = ["Binding", "bind"]

logger = logging.getLogger("intercom_phone_switch.guard")

_HOST = socket.gethostname()
_FIRST_POLL = 0.005
_LAST_POLL = 0.2

#: What a step asks for: send now, wait this many seconds, or this outcome (replayed).
_SEND = "send"


_prefix: tuple[int, str] = (0, "")
_calls = itertools.count()


def _owner() -> str:
    """Unique per call across machines and processes: host, pid, a random part drawn
    once per process (again after a fork), and a counter."""
    global _prefix
    pid = os.getpid()
    if _prefix[0] != pid:
        _prefix = (pid, f"{_HOST}:{pid}:{uuid.uuid4().hex[:12]}")
    return f"{_prefix[1]}:{next(_calls)}"


class Binding:
    """A guard as one client uses it: its send window, lease and wait bound."""

    __slots__ = ("guard", "lease", "owned", "wait", "window")

    def __init__(
        self,
        guard: Guard,
        window: float | None,
        lease: float,
        wait: float | None,
        *,
        owned: bool = False,
    ) -> None:
        self.guard = guard
        #: Whether the client opened the guard (from a URL) and so closes it.
        self.owned = owned
        self.window = window
        #: How long a pending claim holds before it counts as its owner's death.
        self.lease = lease
        #: How long a call waits for another call holding its key.
        self.wait = wait

    def send(
        self, phone: str, key: str | None, version: str, deliver: Callable[[], PhoneSwitch]
    ) -> PhoneSwitch:
        if key is None and self.window is None:
            return deliver()
        flow = _Flow(self, phone, key, version)
        while True:
            step = flow.step()
            if step is _SEND:
                break
            if isinstance(step, float):
                time.sleep(step)
                continue
            return flow.replay(step)
        try:
            outcome: PhoneSwitch = deliver()
        except BaseException as error:
            flow.settle(error)
            raise
        flow.settle(outcome)
        return outcome

    async def send_async(
        self,
        phone: str,
        key: str | None,
        version: str,
        deliver: Callable[[], Awaitable[PhoneSwitch]],
    ) -> PhoneSwitch:
        if key is None and self.window is None:
            return await deliver()
        import asyncio  # here, not at the top: a sync client never loads asyncio

        flow = _Flow(self, phone, key, version)
        blocking = self.guard.store.blocking
        while True:
            step = await asyncio.to_thread(flow.step) if blocking else flow.step()
            if step is _SEND:
                break
            if isinstance(step, float):
                await asyncio.sleep(step)
                continue
            return flow.replay(step)
        try:
            outcome = await deliver()
        except BaseException as error:
            if blocking:
                await asyncio.shield(asyncio.to_thread(flow.settle, error))
            else:
                flow.settle(error)
            raise
        if blocking:
            await asyncio.to_thread(flow.settle, outcome)
        else:
            flow.settle(outcome)
        return outcome


class _Flow:
    """The claims of one call, and what it does with what it finds."""

    __slots__ = (
        "awaited",
        "binding",
        "claimed_key",
        "claimed_phone",
        "ends",
        "key",
        "owner",
        "phone",
        "poll",
        "unguarded",
        "version",
    )

    def __init__(self, binding: Binding, phone: str, key: str | None, version: str) -> None:
        self.binding = binding
        self.phone = phone
        self.key = None if key is None else binding.guard.key(check_key(key))
        self.version = version
        self.owner = _owner()
        self.claimed_key = False
        self.claimed_phone = False
        self.unguarded = False
        self.awaited: str | None = None
        wait = binding.wait
        self.ends = None if wait is None else time.monotonic() + wait
        self.poll = _FIRST_POLL

    def step(self) -> object:
        """_SEND, seconds to wait, or the outcome to return or raise instead of sending."""
        binding = self.binding
        guard = binding.guard
        store = guard.store
        try:
            if self.key is not None and not self.claimed_key:
                if self.awaited is not None:
                    found = store.get(self.key)
                    if (
                        found is not None
                        and found.state == "refused"
                        and (found.owner == self.awaited)
                    ):
                        return found  # the call we waited for was refused: so are we
                    if found is not None and found.state == "pending":
                        return self._wait(found)
                found = store.claim(self.key, self.owner, binding.lease, guard.ttl)
                if found is not None:
                    if found.state == "pending":
                        return self._wait(found)
                    return found
                self.claimed_key = True
            if binding.window is not None and not self.claimed_phone:
                window = binding.window
                taken = store.claim(
                    guard.phone_key(self.phone),
                    self.owner,
                    binding.lease,
                    max(binding.lease, window),
                )
                if taken is not None:
                    closed = SendWindowClosed(
                        f"{self.phone} got a phone switch less than {window:g} s ago, or one"
                        " is being sent; nothing was sent.",
                        phone=self.phone,
                        window=window,
                        retry_after=taken.expires_in,
                        version=self.version,
                    )
                    self._finish_key(closed)
                    return closed
                self.claimed_phone = True
        except StoreError as error:
            if guard.fail_open:
                logger.warning(
                    "guard %s unavailable (%s); sending unguarded (fail_open)", store.url, error
                )
                self.unguarded = True
                return _SEND
            self._abandon()
            raise GuardUnavailable(
                f"The guard could not claim the key, so nothing was sent: {error}",
                version=self.version,
            ) from None
        return _SEND

    def _wait(self, found: Record) -> object:
        self.awaited = found.owner
        now = time.monotonic()
        if self.ends is not None and now >= self.ends:
            error = KeyInFlight(version=self.version)
            return error
        wait = self.poll
        self.poll = min(_LAST_POLL, self.poll * 1.5)
        return wait if self.ends is None else min(wait, max(0.0, self.ends - now))

    def replay(self, step: object) -> PhoneSwitch:
        """Return or raise what another call recorded (or a refusal of this call's own)."""
        outcome: Any = load(step) if isinstance(step, Record) else step
        if isinstance(outcome, BaseException):
            raise outcome
        switch: PhoneSwitch = outcome
        return switch

    def _abandon(self) -> None:
        """Best effort, after a store failure before sending: free what was claimed."""
        store = self.binding.guard.store
        try:
            if self.claimed_phone:
                store.release(self.binding.guard.phone_key(self.phone), self.owner)
            if self.claimed_key and self.key is not None:
                store.release(self.key, self.owner)
        except StoreError:
            pass  # the claims stay pending; their lease runs out, and they read as unknown

    def _finish_key(self, outcome: PhoneSwitchError) -> None:
        if self.claimed_key and self.key is not None:
            guard = self.binding.guard
            guard.store.finish(self.key, self.owner, "refused", payload(outcome), guard.ttl)

    def settle(self, outcome: PhoneSwitch | BaseException) -> None:
        """Record the outcome; raises GuardUnavailable (fail closed) if the store fails."""
        if self.unguarded:
            return
        binding = self.binding
        guard = binding.guard
        store = guard.store
        state = state_of(outcome)
        try:
            if self.claimed_key and self.key is not None:
                store.finish(self.key, self.owner, state, payload(outcome), guard.ttl)
            if self.claimed_phone and binding.window is not None:
                phone_key = guard.phone_key(self.phone)
                if state == "refused":
                    store.release(phone_key, self.owner)
                else:
                    store.finish(phone_key, self.owner, state, "", binding.window)
        except StoreError as error:
            if guard.fail_open:
                logger.warning(
                    "guard %s unavailable (%s); outcome %s not recorded (fail_open)",
                    store.url,
                    error,
                    state,
                )
                return
            if isinstance(outcome, BaseException) and not isinstance(outcome, Exception):
                return  # a cancellation or interrupt: it is re-raised as it is
            recorded = outcome if isinstance(outcome, (PhoneSwitch, PhoneSwitchError)) else None
            raise GuardUnavailable(
                f"The guard could not record the outcome ({state}): {error}",
                outcome=Outcome(state),
                recorded=recorded,
                version=self.version,
            ) from None


def bind(
    guard: Guard | str | None,
    per_phone_window: float | None,
    deadline: float | None,
    read_timeout: float | None,
    *,
    default: bool = False,
) -> Binding | None:
    """The client's binding: None when it has neither a guard nor a window (nor a guard in
    the environment), unless ``default`` (a call with an idempotency key needs one)."""
    if per_phone_window is not None and not per_phone_window > 0:
        raise ValueError("per_phone_window must be None or above 0 seconds")
    if not (default or wanted(guard, per_phone_window)):
        return None
    if guard is None:
        guard = environment_guard()
    owned = not isinstance(guard, Guard)
    if not isinstance(guard, Guard):
        guard = Guard(guard)
    # A live call takes at most its deadline plus one attempt's read timeout; a claim
    # held longer than that belongs to a call that stopped.
    if deadline is None:
        lease = guard.ttl
    else:
        lease = min(guard.ttl, deadline + (30.0 if read_timeout is None else read_timeout) + 5.0)
    return Binding(guard, per_phone_window, lease, deadline, owned=owned)


def key_of(item: object) -> str | None:
    """The idempotency key of a bulk item: a mapping's "idempotency_key", if any."""
    if isinstance(item, Mapping):
        key = item.get("idempotency_key")
        if key is None:
            return None
        return check_key(str(key) if isinstance(key, int) and not isinstance(key, bool) else key)
    return None


def budget(
    binding: Binding | None,
    share: bool,
    base_url: str,
    token: Token,
    clock: Clock | None,
) -> Callable[[], Any] | None:
    """A maker of shared pacers for the bulk calls of a client with share_rate_budget, or
    None (each bulk call paces on its own)."""
    if not share:
        return None
    from ._redis import RedisStore

    store = None if binding is None else binding.guard.store
    if not isinstance(store, RedisStore):
        raise ValueError("share_rate_budget needs a Redis guard: guard='redis://...'")
    from intercom_phone_switch._retry import SystemClock

    from ._budget import SharedPacer, scope_of

    scope = scope_of(base_url, token.authorization)
    assert binding is not None
    guard = binding.guard

    def make() -> SharedPacer:
        return SharedPacer(
            store,
            scope,
            clock or SystemClock(),
            namespace=guard.namespace,
            fail_open=guard.fail_open,
        )

    return make
