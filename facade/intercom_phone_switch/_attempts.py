"""One call, and the one attempt loop that every way of sending runs.

A ``Call`` is a checked request, ready to send, and the record of what its attempts did
(it is the CallInfo a guard sees). ``attempt_loop`` and ``attempt_loop_async`` send it:
the synchronous and the async call, and each item of a synchronous or async batch, all
run the same loop, whose decisions live in ``_Loop``:

- before each attempt, a pacer (bulk) may hold it back; when the room would come too
  late, the call ends RateLimited (nothing sent on that attempt);
- each attempt ends in one Exchange (see _wire), judged into a PhoneSwitch or an error
  (see _answers);
- a failed attempt is tried again only where the retry policy allows (see _retry), and
  no wait starts that would end after the call's deadline;
- the error raised at the end is the last one, unless an earlier attempt may have sent
  an SMS and the last one certainly did not: the earlier one tells the truth.

The loop logs each attempt (DEBUG), each retry (INFO) and each unknown outcome (WARNING).
"""

from __future__ import annotations

import functools
import logging
import time
from collections.abc import Awaitable, Callable, Mapping
from time import perf_counter
from types import ModuleType
from typing import TYPE_CHECKING, Any, TypeVar

from intercom_phone_switch_generated.registry import PATH

from ._logging import log_attempt, logger
from ._outcome import Outcome
from ._wire import Wire
from .errors import DeliveryUnknown, PhoneSwitchError, RateLimited, UnexpectedResponse

if TYPE_CHECKING:
    import httpx

    from ._retry import RetryPolicy
    from ._seam import VersionSeam
    from ._wire import AsyncSender, Exchange, Sender
    from .hooks import AsyncPacer, ThreadPacer
    from .results import PhoneSwitch

__all__ = ["Call", "attempt_loop", "attempt_loop_async"]


class Call:
    """One checked call: the request it sends, and what its attempts did so far."""

    __slots__ = (
        "_done",
        "_taken",
        "_wire",
        "attributes",
        "deadline",
        "direct",
        "key",
        "phone",
        "request",
        "result",
        "seam",
        "started",
        "version",
        "waits_end",
    )

    def __init__(
        self,
        *,
        seam: VersionSeam,
        version: str,
        phone: str,
        attributes: Mapping[str, object] | None,
        key: str | None,
        request: httpx.Request,
        direct: bool,
        started: float,
        deadline: float | None,
        waits_end: float | None,
    ) -> None:
        self.seam: VersionSeam = seam
        #: The Intercom-Version header sent.
        self.version: str = version
        #: The E.164 number.
        self.phone: str = phone
        self.attributes: Mapping[str, object] | None = attributes
        #: The idempotency key as the caller gave it (None: none).
        self.key: str | None = key
        self.request: httpx.Request = request
        self.direct: bool = direct
        #: When the call began, on the retry policy's clock.
        self.started: float = started
        #: The time.monotonic() by which the call will have ended (None: unbounded).
        self.deadline: float | None = deadline
        #: The time.monotonic() by which any wait before sending (a hook's, for a key in
        #: flight) must end, so that the attempt still ends by ``deadline`` (None: none).
        self.waits_end: float | None = waits_end
        self._done = Outcome.REFUSED
        self._taken = False
        self._wire: Wire | None = None
        #: The call's result, once its attempt loop has one (a hook may still be
        #: recording it).
        self.result: PhoneSwitch | PhoneSwitchError | None = None

    def outcome(self) -> Outcome:
        """REFUSED while nothing was handed over; else the worst outcome of the attempts
        so far, the one under way included (as far as it got)."""
        if self._wire is not None:
            return self._done.worst(self._wire.outcome())
        return self._done

    def take(self) -> None:
        """Mark the call as sent; ValueError if it was before, nothing sent: sending a
        call twice could send its SMS twice (prepare it again to send again)."""
        if self._taken:
            raise ValueError(
                "this prepared call was sent already; prepare it again to send it again"
            )
        self._taken = True

    def begin(self) -> Wire:
        self._wire = wire = Wire()
        return wire

    def end(self, outcome: Outcome) -> None:
        self._done = self._done.worst(outcome)
        self._wire = None

    def interrupted(self) -> None:
        """The attempt under way was stopped: keep what its wire saw."""
        if self._wire is not None:
            self.end(self._wire.outcome())

    def __repr__(self) -> str:
        return f"<Call to {self.phone} (Intercom-Version {self.version})>"


_Result = TypeVar("_Result", "PhoneSwitch", PhoneSwitchError)


class _Loop:
    """The decisions of one call's attempt loop."""

    __slots__ = ("attempt", "call", "earlier", "policy", "until")

    def __init__(self, call: Call, policy: RetryPolicy, until: float | None) -> None:
        self.call = call
        self.policy = policy
        #: The policy clock's monotonic time no wait may end after.
        self.until = until
        self.attempt = 0
        #: The first failed attempt that may have sent an SMS.
        self.earlier: PhoneSwitchError | None = None

    def judged(self, exchange: Exchange, began: float) -> PhoneSwitch | PhoneSwitchError:
        """The result of the attempt that ended with ``exchange``, logged."""
        judge: Callable[[Call, Exchange, int], PhoneSwitch | PhoneSwitchError]
        judge = _answers().judge
        call = self.call
        call.end(exchange.outcome)
        try:
            result = judge(call, exchange, self.attempt)
        except Exception as error:  # a bug of ours: still an outcome, the exchange's own
            result = _broken(error, exchange, call.version, self.attempt)
        _log(call, self.attempt, perf_counter() - began, result)
        return result

    def retry(self, error: PhoneSwitchError) -> float | None:
        """Seconds to wait before the next attempt, or None to end with ``final``."""
        if error.outcome is not Outcome.REFUSED and self.earlier is None:
            self.earlier = error
        try:
            wait = self.policy.delay(error, self.attempt, self.call.started)
        except Exception:  # an absurd header, a caller's broken clock: no retry
            return None
        until = self.until
        if wait is not None and until is not None and self.policy.clock.monotonic() + wait > until:
            return None
        if wait is not None and logger.isEnabledFor(logging.INFO):
            logger.info(
                "POST %s: %s on attempt %d; trying again in %.2f s",
                PATH,
                type(error).__name__,
                self.attempt,
                wait,
                extra={"version": error.version, "attempt": self.attempt, "wait": wait},
            )
        return wait

    def ended(self, result: _Result) -> _Result:
        """The call's result, kept on the call."""
        self.call.result = result
        return result

    def final(self, error: PhoneSwitchError) -> PhoneSwitchError:
        if self.earlier is not None and error.outcome is Outcome.REFUSED:
            return self.earlier
        return error

    def too_late(self, latest: Any) -> PhoneSwitchError:
        return self.final(
            RateLimited(
                "the rate-limit window does not reset before the deadline; nothing was sent",
                rate_limit=latest,
                version=self.call.version,
                attempts=self.attempt,
            )
        )

    def stalled(self, error: Exception) -> PhoneSwitchError:
        """The pacer failed before an attempt: nothing was sent on it."""
        if isinstance(error, PhoneSwitchError):
            return self.final(error)
        from .errors import UnprocessableItem

        refusal = UnprocessableItem(
            f"the item could not be processed ({type(error).__name__}); nothing was sent",
            version=self.call.version,
            attempts=self.attempt,
        )
        refusal.__cause__ = error
        return self.final(refusal)


@functools.cache
def _answers() -> ModuleType:
    """The reader of answers, imported on the first answer (it brings attrs)."""
    from . import _answers as module

    return module


def _broken(error: Exception, exchange: Exchange, version: str, attempt: int) -> PhoneSwitchError:
    """The result of an attempt whose answer could not be judged (a bug of ours): still
    the exchange's outcome, with the error as its cause."""
    name = type(error).__name__
    context: dict[str, Any] = {
        "status": exchange.status,
        "version": version,
        "attempts": attempt,
        "outcome": exchange.outcome,
    }
    if exchange.outcome is Outcome.ACCEPTED:
        broken: PhoneSwitchError = UnexpectedResponse(
            f"Intercom accepted the request, but its answer could not be handled ({name}); "
            "do not send it again",
            **context,
        )
    elif exchange.outcome is Outcome.REFUSED:
        from .errors import RequestRejected

        broken = RequestRejected(
            f"the request was not sent or was refused, and handling that failed ({name})",
            **context,
        )
    else:
        broken = DeliveryUnknown(
            f"handling the answer failed ({name}); an SMS may or may not have been sent",
            **context,
        )
    broken.__cause__ = error
    return broken


def _log(call: Call, attempt: int, duration: float, result: PhoneSwitch | PhoneSwitchError) -> None:
    log_attempt(
        method="POST",
        path=PATH,
        status=result.status if isinstance(result, PhoneSwitchError) else 200,
        version=call.version,
        request_id=result.request_id,
        duration=duration,
        attempt=attempt,
        outcome=type(result).__name__,
    )
    if (
        isinstance(result, PhoneSwitchError)
        and result.outcome is Outcome.UNKNOWN
        and logger.isEnabledFor(logging.WARNING)
    ):
        logger.warning(
            "POST %s: delivery unknown for attempt %d (Intercom-Version %s): %s",
            PATH,
            attempt,
            call.version,
            result.message,
            extra={"status": result.status, "version": call.version, "attempt": attempt},
        )


def _headers(exchange: Exchange | None) -> httpx.Headers | None:
    return None if exchange is None else exchange.headers


def attempt_loop(
    call: Call,
    sender: Sender,
    policy: RetryPolicy,
    *,
    pacer: ThreadPacer | None = None,
    until: float | None = None,
) -> PhoneSwitch:
    """Send ``call`` until it has its result; return the PhoneSwitch or raise the error.

    ``until`` (the policy clock's monotonic time) bounds every wait, for the pacer and
    between attempts.
    """
    loop = _Loop(call, policy, until)
    while True:
        if pacer is not None:
            try:
                room = pacer.acquire(until)
            except Exception as error:
                raise loop.ended(loop.stalled(error)) from None
            if not room:
                raise loop.ended(loop.too_late(pacer.latest))
        loop.attempt += 1
        exchange: Exchange | None = None
        began = perf_counter()
        wire = call.begin()
        try:
            exchange = sender.send(call.request, call.direct, wire)
        finally:
            if exchange is None:
                call.interrupted()
            if pacer is not None:
                pacer.release(_headers(exchange))
        result = loop.judged(exchange, began)
        if not isinstance(result, PhoneSwitchError):
            return loop.ended(result)
        wait = loop.retry(result)
        if wait is None:
            raise loop.ended(loop.final(result))
        try:
            policy.clock.sleep(wait)
        except Exception:  # a caller's clock that fails: no retry
            raise loop.ended(loop.final(result)) from None


async def attempt_loop_async(
    call: Call,
    sender: AsyncSender,
    policy: RetryPolicy,
    *,
    pacer: AsyncPacer | None = None,
    until: float | None = None,
) -> PhoneSwitch:
    """The async twin of ``attempt_loop``: the same loop, awaiting."""
    loop = _Loop(call, policy, until)
    while True:
        if pacer is not None:
            try:
                room = await pacer.acquire(until)
            except Exception as error:
                raise loop.ended(loop.stalled(error)) from None
            if not room:
                raise loop.ended(loop.too_late(pacer.latest))
        loop.attempt += 1
        exchange: Exchange | None = None
        began = perf_counter()
        wire = call.begin()
        try:
            exchange = await sender.send(call.request, call.direct, wire)
        finally:
            if exchange is None:
                call.interrupted()
            if pacer is not None:
                pacer.release(_headers(exchange))
        result = loop.judged(exchange, began)
        if not isinstance(result, PhoneSwitchError):
            return loop.ended(result)
        wait = loop.retry(result)
        if wait is None:
            raise loop.ended(loop.final(result))
        try:
            await policy.clock.async_sleep(wait)
        except Exception:  # a caller's clock that fails: no retry
            raise loop.ended(loop.final(result)) from None


#: What a hook's ``deliver`` is: the loop, bound to one call.
Deliver = Callable[[], "PhoneSwitch"]
AsyncDeliver = Callable[[], Awaitable["PhoneSwitch"]]


def deadline_of(started: float, policy: RetryPolicy, attempt_bound: float | None) -> float | None:
    """The time.monotonic() by which a call that began at ``started`` (time.monotonic())
    has ended: its retry waits end by the policy's deadline, and its last attempt takes
    at most ``attempt_bound`` seconds more (None when either is unbounded)."""
    waits_end = waits_end_of(started, policy)
    return None if waits_end is None or attempt_bound is None else waits_end + attempt_bound


def waits_end_of(started: float, policy: RetryPolicy) -> float | None:
    """The time.monotonic() by which every wait of a call that began at ``started`` ends:
    the policy's deadline, after which only the last attempt may still run."""
    return None if policy.deadline is None else started + policy.deadline


def now() -> float:
    return time.monotonic()
