"""The small protocols through which optional parts plug into the client (public: a
guard of your own implements SendHook).

The client imports none of them: a guard (``intercom_phone_switch.guard.Guard``, or any
object of the same shape) is handed to it as ``guard=``, and the client calls it around
each call that has an idempotency key, or around every call when the guard asks to see
them all (a per-number send window).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from ._outcome import Outcome
    from ._retry import Clock
    from .results import PhoneSwitch, RateLimit

__all__ = ["AsyncPacer", "CallInfo", "SendHook", "ThreadPacer", "check_key"]

#: The longest idempotency key accepted.
MAX_KEY_LENGTH = 256


def check_key(key: object) -> str:
    """``key`` when it is an idempotency key (a non-empty printable string of at most
    MAX_KEY_LENGTH characters); else ValueError, before anything is sent."""
    if not isinstance(key, str) or not key or len(key) > MAX_KEY_LENGTH or not key.isprintable():
        raise ValueError(
            f"an idempotency key is a non-empty printable string of 1-{MAX_KEY_LENGTH} characters"
        )
    return key


class CallInfo(Protocol):
    """What the client tells a hook about one call."""

    @property
    def phone(self) -> str:
        """The E.164 number the SMS goes to."""

    @property
    def key(self) -> str | None:
        """The call's idempotency key as the caller gave it, or None."""

    @property
    def version(self) -> str:
        """The Intercom-Version header the call sends."""

    @property
    def deadline(self) -> float | None:
        """The ``time.monotonic()`` by which the call will have ended, whatever happens;
        None when nothing bounds it (a hook holding a claim must then keep renewing it)."""

    @property
    def waits_end(self) -> float | None:
        """The ``time.monotonic()`` by which a hook must stop waiting before it sends (for
        another call holding the same key, say), so that the call's own attempt still
        ends by ``deadline``: the client's ``deadline`` after the call began. None when
        the client has no deadline."""

    def outcome(self) -> Outcome:
        """What the call has done so far: REFUSED while nothing was handed over, else the
        worst outcome of its attempts. Valid at any time, also after ``deliver`` raised a
        cancellation or an interrupt."""


class AsyncPacer(Protocol):
    """Lets a bulk item's request start only while the rate-limit window has room."""

    async def acquire(self, until: float | None = None) -> bool:
        """Wait for room; False (nothing waited for) when the room comes after ``until``
        (the clock's monotonic time)."""

    def release(self, answer: Mapping[str, str] | RateLimit | None) -> None:
        """The request ended; ``answer`` is its headers (None when no answer came)."""

    @property
    def latest(self) -> RateLimit | None:
        """The rate-limit state the last answer reported."""


class ThreadPacer(Protocol):
    """AsyncPacer for the threads of a synchronous batch."""

    def acquire(self, until: float | None = None) -> bool: ...

    def release(self, answer: Mapping[str, str] | RateLimit | None) -> None: ...

    @property
    def latest(self) -> RateLimit | None: ...


class SendHook(Protocol):
    """Runs around a call: may send it (``deliver``), or return or raise something else."""

    def wants(self, key: str | None) -> bool:
        """Whether a call with this idempotency key (or None) goes through the hook."""

    def run(self, call: CallInfo, deliver: Callable[[], PhoneSwitch]) -> PhoneSwitch:
        """The synchronous client's call: ``deliver()`` sends it."""

    async def run_async(
        self, call: CallInfo, deliver: Callable[[], Awaitable[PhoneSwitch]]
    ) -> PhoneSwitch:
        """The async client's call: ``await deliver()`` sends it."""

    def pacer(self, scope: str, clock: Clock) -> AsyncPacer | None:
        """A pacer whose budget is shared with every process sending through the same
        app (``scope`` names it: a digest of the server and the token), or None to let
        each batch pace on its own."""

    def thread_pacer(self, scope: str, clock: Clock) -> ThreadPacer | None:
        """The same for a synchronous batch."""
