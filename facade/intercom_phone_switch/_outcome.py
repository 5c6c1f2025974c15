"""What one attempt, one call or one bulk item did: the single answer to "was an SMS sent".

The outcome is decided once per attempt, where the request meets the wire (see _wire):

- nothing of the request was handed over to the network: REFUSED (nothing was sent);
- it was handed over and no status line came back: UNKNOWN;
- a status line came back, so the request arrived: a 2xx is ACCEPTED whatever its body
  says; a 3xx or 4xx is REFUSED (a redirect is never followed, and the server that
  answered did not act on the request); any other status (1xx as a final answer, 5xx,
  600 and above) is UNKNOWN.

Errors found before anything is sent are REFUSED. Every consumer (an error's ``sms_sent``
and ``accepted``, a batch entry's state, the guard's record, the CLI's exit status, the
contract runner's report) reads this value and derives nothing on its own.
"""

from __future__ import annotations

import enum

__all__ = ["Outcome", "of_status"]


class Outcome(str, enum.Enum):
    """Whether an SMS went out: accepted, refused (certainly not) or unknown."""

    #: Intercom answered with a 2xx status: it accepted the request and the SMS went out.
    ACCEPTED = "accepted"
    #: Certainly no SMS: nothing was handed over, or the answer was a 3xx or 4xx.
    REFUSED = "refused"
    #: The request may have reached Intercom and nobody can tell whether an SMS went out.
    UNKNOWN = "unknown"

    @property
    def sms_sent(self) -> bool | None:
        """True (accepted), False (refused) or None (unknown)."""
        return _SENT[self]

    def worst(self, other: Outcome) -> Outcome:
        """The outcome of a call that had both: any SMS that went out (or may have) wins
        over a refusal, and a certain one over an unknown one."""
        return self if _RANK[self] >= _RANK[other] else other

    def __str__(self) -> str:
        return self.value


_SENT = {Outcome.ACCEPTED: True, Outcome.REFUSED: False, Outcome.UNKNOWN: None}
_RANK = {Outcome.REFUSED: 0, Outcome.UNKNOWN: 1, Outcome.ACCEPTED: 2}


def of_status(status: int) -> Outcome:
    """The outcome of an attempt that got a status line with ``status``."""
    if 200 <= status < 300:
        return Outcome.ACCEPTED
    if 300 <= status < 500:
        return Outcome.REFUSED
    return Outcome.UNKNOWN
