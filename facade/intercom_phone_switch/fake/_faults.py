"""Fault injection: make the fake fail the way a real network and a real Intercom do.

Faults come from a script (one entry per coming request, ``None`` for "no fault") and,
once the script is used up, from a seeded random draw. Every fault that is drawn is
logged with the request it hit and whether that request's SMS was sent, so a test can
tell an honest "unknown" from a lost or duplicated SMS.
"""

from __future__ import annotations

import enum
import random
import threading
from collections import deque
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any

from ._bounds import FAULT_DELAY, FAULT_LOG_CAP, FAULT_STATUS, PROBABILITY, SEED, Bound

#: How many scripted faults may wait at once, and how many choices random faults take.
SCRIPT_CAP = 10_000
CHOICES_CAP = 1_000


class FaultKind(str, enum.Enum):
    """What goes wrong. The value is the name used over the admin API."""

    #: A 5xx answer before the request is looked at: no SMS is sent.
    SERVER_ERROR_BEFORE = "server_error_before"
    #: A 5xx answer after the SMS was sent.
    SERVER_ERROR_AFTER = "server_error_after"
    #: The answer comes late (``Fault.delay`` seconds), otherwise normal.
    LATENCY = "latency"
    #: The connection closes without an answer after the SMS was sent.
    DROP_AFTER_SMS = "drop_after_sms"
    #: Intercom's own 400 ``sms_failed``: the SMS could not be sent.
    SMS_FAILED = "sms_failed"
    #: Any answer the request's version documents: ``Fault.status`` and
    #: ``Fault.example`` (an example's name, or an error key or code it carries) pick it
    #: from that version's effective spec. An error status strikes before anything is
    #: checked (no SMS); a 2xx sends the SMS and answers the example with its link.
    ANSWER = "answer"

    @property
    def after_sending(self) -> bool:
        """True for the faults that strike once the SMS is already sent."""
        return self in (FaultKind.SERVER_ERROR_AFTER, FaultKind.DROP_AFTER_SMS)

    def __str__(self) -> str:
        return self.value


#: The kinds random faults draw from (every kind but ANSWER, which is scripted).
ALL_KINDS: tuple[FaultKind, ...] = tuple(kind for kind in FaultKind if kind is not FaultKind.ANSWER)
#: The statuses a documented answer may have.
ANSWER_STATUS = Bound("a documented answer's status", 100, 599, integer=True)
#: The longest example name or error code a fault takes.
EXAMPLE_CHARS = 200


@dataclass(frozen=True)
class Fault:
    """One fault to inject into one request."""

    kind: FaultKind
    #: The status of a server error (500-599).
    status: int = 500
    #: The extra delay of a latency fault, in seconds.
    delay: float = 0.05
    #: Which documented ``status`` answer an ANSWER fault gives: the name of one of its
    #: examples, or an error key or code one carries (None: the status's first example).
    example: str | None = None

    def __post_init__(self) -> None:
        kind = FaultKind(self.kind)
        object.__setattr__(self, "kind", kind)
        if kind is FaultKind.ANSWER:
            object.__setattr__(self, "status", ANSWER_STATUS.check(self.status))
            _check_documented(self.status, self.example)
        else:
            object.__setattr__(self, "status", FAULT_STATUS.check(self.status))
            if self.example is not None:
                raise ValueError(f"only {FaultKind.ANSWER.value} faults take an example")
        object.__setattr__(self, "delay", FAULT_DELAY.check(self.delay))

    @classmethod
    def coerce(cls, value: Fault | FaultKind | str | Mapping[str, Any]) -> Fault:
        """A Fault from a Fault, a kind, a kind's name or a JSON object."""
        if isinstance(value, Fault):
            return value
        if isinstance(value, (FaultKind, str)):
            return cls(FaultKind(value))
        unknown = set(value) - {"kind", "status", "delay", "example"}
        if unknown:
            raise ValueError(f"unknown fault fields: {', '.join(sorted(unknown))}")
        return cls(
            FaultKind(value["kind"]),
            status=value.get("status", 500),
            delay=value.get("delay", 0.05),
            example=value.get("example"),
        )

    def to_json(self) -> dict[str, Any]:
        found: dict[str, Any] = {
            "kind": self.kind.value,
            "status": self.status,
            "delay": self.delay,
        }
        if self.kind is FaultKind.ANSWER:
            found["example"] = self.example
        return found


def _check_documented(status: int, example: object) -> None:
    """ValueError unless some supported version documents a ``status`` answer with an
    example named ``example`` or carrying it as an error key or code."""
    if example is not None and (not isinstance(example, str) or len(example) > EXAMPLE_CHARS):
        raise ValueError(f"an answer's example is a name of at most {EXAMPLE_CHARS} characters")
    from ._contract import contracts  # the specs are read once, when first needed

    if any(contract.answer(status, example) for contract in contracts().values()):
        return
    named = "" if example is None else f" {example!r}"
    raise ValueError(f"no supported Intercom-Version documents a {status} answer{named}")


@dataclass
class FaultRecord:
    """A fault that hit a request. Complete once that request has been answered."""

    #: The request's place among those that passed the token, budget and version checks
    #: (1 = the first); the same number as the SentSms it sent, if any.
    sequence: int
    request_id: str
    fault: Fault
    at: datetime
    #: The supported version that served the request.
    spec_version: str
    #: The request's phone, once its body was read (None if it never was).
    phone: str | None = None
    #: Whether the request's SMS was sent (recorded in the outbox).
    sms_recorded: bool = False
    #: Whether the fault changed the answer. Faults that strike after sending cannot
    #: strike a request that sent nothing (an invalid number, say): it gets its normal
    #: answer and applied stays False.
    applied: bool = False
    #: The status the client got, or None when the connection was dropped.
    status: int | None = field(default=None)

    @property
    def kind(self) -> FaultKind:
        return self.fault.kind

    def to_json(self) -> dict[str, Any]:
        return {
            "sequence": self.sequence,
            "request_id": self.request_id,
            "fault": self.fault.to_json(),
            "at": self.at.isoformat(),
            "spec_version": self.spec_version,
            "phone": self.phone,
            "sms_recorded": self.sms_recorded,
            "applied": self.applied,
            "status": self.status,
        }


@dataclass(frozen=True)
class RandomFaults:
    """Inject a fault into each request with ``probability``; kind, status and delay are
    drawn from the given choices with a RNG seeded by ``seed``."""

    probability: float
    kinds: tuple[FaultKind, ...] = ALL_KINDS
    statuses: tuple[int, ...] = (500,)
    delay: float = 0.05
    seed: int | None = None

    def to_json(self) -> dict[str, Any]:
        return {
            "probability": self.probability,
            "kinds": [kind.value for kind in self.kinds],
            "statuses": list(self.statuses),
            "delay": self.delay,
            "seed": self.seed,
        }


class FaultInjector:
    """The faults waiting for the coming requests, and the log of those injected."""

    def __init__(self, log_cap: int = 10_000) -> None:
        log_cap = FAULT_LOG_CAP.check(log_cap)
        self._lock = threading.Lock()
        self._script: deque[Fault | None] = deque()
        self._random: RandomFaults | None = None
        self._rng = random.Random()
        self._log: deque[FaultRecord] = deque(maxlen=log_cap)

    # -- configuring ------------------------------------------------------------------
    def script(self, *faults: Fault | FaultKind | str | Mapping[str, Any] | None) -> None:
        """Queue faults for the next requests, one each; ``None`` lets one pass. A fault is
        a Fault, a kind (or its name) or its JSON object (``{"kind": ..., "status": ...}``).
        """
        if len(faults) > SCRIPT_CAP:
            raise ValueError(f"at most {SCRIPT_CAP} scripted faults wait at once")
        queued = [None if fault is None else Fault.coerce(fault) for fault in faults]
        with self._lock:
            if len(self._script) + len(queued) > SCRIPT_CAP:
                raise ValueError(f"at most {SCRIPT_CAP} scripted faults wait at once")
            self._script.extend(queued)

    def randomly(
        self,
        probability: float,
        *,
        kinds: Iterable[FaultKind | str] = ALL_KINDS,
        statuses: Sequence[int] = (500,),
        delay: float = 0.05,
        seed: int | None = None,
    ) -> None:
        """Inject a fault into each request (after the script) with ``probability``."""
        probability = PROBABILITY.check(probability)
        chosen = tuple(FaultKind(kind) for kind in kinds)
        if FaultKind.ANSWER in chosen:
            raise ValueError(f"{FaultKind.ANSWER.value} faults are scripted, not drawn at random")
        if probability and not chosen:
            raise ValueError("random faults need at least one kind")
        if len(chosen) > CHOICES_CAP or len(statuses) > CHOICES_CAP:
            raise ValueError(f"random faults take at most {CHOICES_CAP} kinds and statuses")
        checked = tuple(
            Fault(FaultKind.SERVER_ERROR_BEFORE, status=status, delay=delay).status
            for status in statuses
        )
        if not checked:
            raise ValueError("random faults need at least one status")
        delay = FAULT_DELAY.check(delay)
        seed = None if seed is None else SEED.check(seed)
        config = RandomFaults(probability, chosen, checked, delay, seed)
        with self._lock:
            self._random = config if probability else None
            self._rng = random.Random(seed)

    def clear(self) -> None:
        """Stop injecting: forget the script and the random faults (the log stays)."""
        with self._lock:
            self._script.clear()
            self._random = None

    def reset(self) -> None:
        """Forget the script, the random faults and the log."""
        with self._lock:
            self._script.clear()
            self._random = None
            self._log.clear()

    # -- reading ------------------------------------------------------------------------
    @property
    def pending(self) -> list[Fault | None]:
        """The scripted faults not yet used, next first."""
        with self._lock:
            return list(self._script)

    @property
    def random_faults(self) -> RandomFaults | None:
        return self._random

    @property
    def log(self) -> list[FaultRecord]:
        """The injected faults, oldest first (only the newest ``log_cap`` are kept)."""
        with self._lock:
            return list(self._log)

    def records(self, kind: FaultKind | str | None = None) -> list[FaultRecord]:
        wanted = None if kind is None else FaultKind(kind)
        return [record for record in self.log if wanted is None or record.kind is wanted]

    # -- used by the endpoint -------------------------------------------------------------
    def draw(
        self, sequence: int, request_id: str, spec_version: str, at: float
    ) -> FaultRecord | None:
        """The fault for this request, if any, already entered in the log."""
        if not self._script and self._random is None:
            return None
        with self._lock:
            if self._script:
                fault = self._script.popleft()
            elif self._random is not None and self._rng.random() < self._random.probability:
                config = self._random
                fault = Fault(
                    self._rng.choice(config.kinds),
                    status=self._rng.choice(config.statuses),
                    delay=config.delay,
                )
            else:
                return None
            if fault is None:
                return None
            when = datetime.fromtimestamp(at, tz=timezone.utc)
            record = FaultRecord(sequence, request_id, fault, when, spec_version)
            self._log.append(record)
            return record

    def to_json(self) -> dict[str, Any]:
        return {
            "pending": [None if fault is None else fault.to_json() for fault in self.pending],
            "random": None if self._random is None else self._random.to_json(),
            "log": [record.to_json() for record in self.log],
        }
