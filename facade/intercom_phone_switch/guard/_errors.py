"""The errors the guard adds to the PhoneSwitchError hierarchy."""

from __future__ import annotations

from typing import TYPE_CHECKING

from intercom_phone_switch import Outcome
from intercom_phone_switch.errors import DeliveryUnknown, PhoneSwitchError

if TYPE_CHECKING:
    from intercom_phone_switch.results import PhoneSwitch

__all__ = ["GuardUnavailable", "KeyInFlight", "SendWindowClosed"]


class GuardUnavailable(PhoneSwitchError):
    """The guard's store could not be reached or failed, and the guard fails closed.

    ``outcome`` (and so ``sms_sent``) says what happened to the SMS:

    - REFUSED: nothing was sent (the claim failed, so no request went out);
    - ACCEPTED: Intercom accepted the request (``recorded`` is the PhoneSwitch), but the
      outcome could not be recorded: the key stays pending, then unknown;
    - UNKNOWN: a request went out and its outcome (``recorded``, a DeliveryUnknown) is
      unknown.

    ``recorded`` is the PhoneSwitch or PhoneSwitchError of the request, when one was sent.
    """

    summary = "The idempotency guard's store is unavailable."

    def __init__(
        self,
        message: str | None = None,
        *,
        outcome: Outcome = Outcome.REFUSED,
        recorded: PhoneSwitch | PhoneSwitchError | None = None,
        version: str | None = None,
    ) -> None:
        attempts = getattr(recorded, "attempts", 0) if recorded is not None else 0
        super().__init__(message, version=version, attempts=attempts, outcome=outcome)
        self.recorded = recorded

    def _context(self) -> list[tuple[str, object]]:
        return [*super()._context(), ("outcome", self.outcome.value)]


class SendWindowClosed(PhoneSwitchError):
    """The number got an SMS (or one may be on its way) less than the client's
    ``per_phone_window`` seconds ago: nothing was sent. ``retry_after`` is how many
    seconds the window has left, when the store can say."""

    summary = "This number got a phone switch too recently; nothing was sent."

    def __init__(
        self,
        message: str | None = None,
        *,
        phone: str | None = None,
        window: float | None = None,
        retry_after: float | None = None,
        version: str | None = None,
    ) -> None:
        super().__init__(message, version=version)
        self.phone = phone
        self.window = window
        self.retry_after = retry_after


class KeyInFlight(DeliveryUnknown):
    """Another call holds the idempotency key and had no outcome before this call's
    deadline. This call sent nothing, but the other one may send, or may have sent."""

    summary = "Another call with this idempotency key is still sending; this call sent nothing."
    replayed = True
