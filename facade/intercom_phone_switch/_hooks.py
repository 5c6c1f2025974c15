"""The small protocols through which optional parts plug into the client.

The client imports none of them: a guard (``intercom_phone_switch.guard.Guard``, or any
object of the same shape) is handed to it as ``guard=``, and the client calls it around
each call that has an idempotency key, or around every call when the guard asks to see
them all (a per-number send window).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from ._outcome import Outcome
    from .results import PhoneSwitch

__all__ = ["CallInfo", "SendHook"]


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

    def outcome(self) -> Outcome:
        """What the call has done so far: REFUSED while nothing was handed over, else the
        worst outcome of its attempts. Valid at any time, also after ``deliver`` raised a
        cancellation or an interrupt."""


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
