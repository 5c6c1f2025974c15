"""SMS safety: a contract run against a real workspace must not text strangers.

Every request a run sends passes ``SmsGuard`` twice: when the case is generated
(``SmsGuard.keep``, a ``filter_case`` hook) and when it leaves (``SmsGuard.admit``,
inside the transport, the one place every request goes through, including the extra
requests some checks send). A request *could send an SMS* when its body names a phone
that some server could read as a number; whatever else is wrong with the request, a
server with a bug could still text that number. Each version's guard reads that
version's phone field (through ``x-stable-names``) and pattern, and no other's.

- Without an allow-list, such requests are never sent: only what cannot text anybody
  runs (requests without valid credentials, invalid numbers, invalid bodies).
- With an allow-list and a cap, every phone the version's schema accepts is replaced by
  an allow-listed number before it leaves, each such request counts against the cap
  (whether or not the server then sends the SMS), and the run stops once the cap is
  spent. Numbers outside the schema that still look dialable are never sent: replacing
  them would change what the case tests.
"""

from __future__ import annotations

import itertools
import json
import math
import re
import threading
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs

import phonenumbers

from intercom_phone_switch.spec import EffectiveSpec

from .spec import PHONE

#: A value with fewer dialable characters than this is no phone number anywhere: the
#: shortest international numbers (a 3-digit country code and 4 digits) have seven.
MIN_DIALABLE = 7
#: An E.164 number as the ITU defines it: a plus, a country code (no leading zero) and at
#: most 15 digits in all. The allow-list is checked against it up front, and against the
#: phone pattern of each version before that version's run.
E164 = re.compile(r"\+[1-9][0-9]{1,14}")


class SmsBlocked(RuntimeError):
    """A request that could have sent an SMS was stopped before it left."""


class SmsPolicyError(ValueError):
    """The SMS options are inconsistent (for example an allow-list without a cap)."""


@dataclass(frozen=True)
class SmsPolicy:
    """Which numbers a run may text, and how many requests that could text it may send.

    The default policy texts nobody.
    """

    allowlist: tuple[str, ...] = ()
    max_sms: int = 0

    def __post_init__(self) -> None:
        for number in self.allowlist:
            if E164.fullmatch(number) is None:
                raise SmsPolicyError(f"{number!r} is not an E.164 number (+ and 2-15 digits)")
        if self.max_sms < 0:
            raise SmsPolicyError("the SMS cap cannot be negative")
        if bool(self.allowlist) != bool(self.max_sms):
            raise SmsPolicyError("an SMS allow-list and an SMS cap go together: give both or none")

    @classmethod
    def parse(cls, allowlist: str | Iterable[str] | None, max_sms: int | None) -> SmsPolicy:
        """From the command line: ``"+15550100,+15550101"`` and a cap."""
        if isinstance(allowlist, str):
            numbers = [part.strip() for part in allowlist.split(",") if part.strip()]
        else:
            numbers = [part.strip() for part in allowlist or () if part.strip()]
        return cls(tuple(dict.fromkeys(numbers)), max_sms or 0)

    @property
    def texts_anybody(self) -> bool:
        """Whether requests that could send an SMS may go out at all."""
        return bool(self.allowlist) and self.max_sms > 0

    def describe(self) -> str:
        if not self.texts_anybody:
            return "no SMS: only requests that cannot text anybody are sent"
        numbers = ", ".join(self.allowlist)
        return f"at most {self.max_sms} requests that could send an SMS, all to {numbers}"


def dialable(value: str) -> int:
    """How many characters of ``value`` a lenient parser could dial.

    Digits of any script count, and so do letters (``1-800-FLOWERS``).
    """
    converted = phonenumbers.convert_alpha_characters_in_number(value)
    return len(phonenumbers.normalize_digits_only(converted))


def could_be_dialled(value: object) -> bool:
    """Whether a server, however lenient, could read ``value`` as a phone number."""
    if isinstance(value, bool):
        return False
    if isinstance(value, int):
        return len(str(abs(value))) >= MIN_DIALABLE
    if isinstance(value, float):
        return math.isfinite(value) and len(str(int(abs(value)))) >= MIN_DIALABLE
    if isinstance(value, str):
        return dialable(value) >= MIN_DIALABLE
    return False


def _as_mapping(body: object) -> Mapping[Any, Any] | None:
    """The object a server could read fields from: a mapping, JSON text or a form."""
    if isinstance(body, Mapping):
        return body
    if isinstance(body, bytes | bytearray):
        body = bytes(body).decode("utf-8", errors="replace")
    if not isinstance(body, str):
        return None
    try:
        parsed = json.loads(body)
    except (ValueError, RecursionError):
        parsed = None
    if isinstance(parsed, Mapping):
        return parsed
    form = parse_qs(body, keep_blank_values=True)
    return {key: values[-1] for key, values in form.items()} if form else None


def risky_fields(body: object, names: Iterable[str] = (PHONE,)) -> list[tuple[Any, object]]:
    """The (key, value) pairs of ``body`` that could make a server send an SMS.

    A key counts when, trimmed and lowercased, it reads as one of ``names`` (the stable
    name ``phone`` and the version's own phone field); its value counts when it could be
    dialled.
    """
    mapping = _as_mapping(body)
    if mapping is None:
        return []
    wanted = {name.strip().lower() for name in names}
    return [
        (key, value)
        for key, value in mapping.items()
        if isinstance(key, str) and key.strip().lower() in wanted and could_be_dialled(value)
    ]


@dataclass
class SmsTally:
    """What the guard let through, changed and stopped.

    One tally spans a whole run (every version), so that the cap holds for the run.
    """

    #: Requests that could send an SMS and went out (all to allow-listed numbers).
    sent: int = 0
    #: Phones replaced by an allow-listed number before they left.
    replaced: int = 0
    #: Generated cases dropped before sending because they could text somebody.
    dropped: int = 0
    #: Requests stopped in the transport (a case that slipped past the filter).
    blocked: int = 0
    #: Whether the cap kept a request back (a larger one would have sent it), which stops
    #: the run. A cap spent exactly by the last request that needed it is not reached.
    cap_reached: bool = False
    #: Cases dropped and requests blocked only because the cap was spent: what a larger
    #: cap would have sent (part of ``dropped`` and ``blocked``).
    over_cap: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock, repr=False, compare=False)

    def snapshot(self) -> SmsTally:
        with self.lock:
            return SmsTally(
                self.sent,
                self.replaced,
                self.dropped,
                self.blocked,
                self.cap_reached,
                self.over_cap,
            )

    def since(self, before: SmsTally) -> SmsTally:
        """What happened after ``before`` was taken."""
        now = self.snapshot()
        return SmsTally(
            now.sent - before.sent,
            now.replaced - before.replaced,
            now.dropped - before.dropped,
            now.blocked - before.blocked,
            now.cap_reached and not before.cap_reached,
            now.over_cap - before.over_cap,
        )


@dataclass
class SmsGuard:
    """Applies an ``SmsPolicy`` to the requests of one version's run.

    Args:
        policy: who may be texted and how often.
        phone_field: the JSON property carrying the phone in this version's requests.
        phone_pattern: the version's phone pattern; only phones it accepts are replaced.
        tally: the run's account, shared by the guards of every version.
        on_cap: called once, when the cap first keeps a request back (the runner stops
            the run).
    """

    policy: SmsPolicy
    phone_field: str
    phone_pattern: re.Pattern[str]
    tally: SmsTally = field(default_factory=SmsTally)
    on_cap: Callable[[], None] | None = None
    _numbers: Iterator[str] = field(init=False, repr=False)
    _names: tuple[str, ...] = field(init=False, repr=False)

    def __post_init__(self) -> None:
        for number in self.policy.allowlist:
            if self.phone_pattern.fullmatch(number) is None:
                raise SmsPolicyError(f"{number} does not match this version's phone pattern")
        self._numbers = itertools.cycle(self.policy.allowlist)
        self._names = tuple(dict.fromkeys((PHONE, self.phone_field)))

    @classmethod
    def for_contract(
        cls,
        policy: SmsPolicy,
        contract: EffectiveSpec,
        tally: SmsTally | None = None,
        on_cap: Callable[[], None] | None = None,
    ) -> SmsGuard:
        """The guard of the run of ``contract``'s version, reading its phone field."""
        return cls(
            policy,
            contract.request_field(PHONE),
            contract.phone_pattern,
            tally if tally is not None else SmsTally(),
            on_cap,
        )

    def risky(self, body: object) -> list[tuple[Any, object]]:
        """The fields of ``body`` that could make a server send an SMS."""
        return risky_fields(body, self._names)

    def _replaceable(self, body: object) -> bool:
        """Whether every risky field of ``body`` is the version's phone field, holding a
        value the schema accepts."""
        return isinstance(body, dict) and all(
            key == self.phone_field
            and isinstance(value, str)
            and self.phone_pattern.fullmatch(value) is not None
            for key, value in self.risky(body)
        )

    def keep(self, body: object) -> bool:
        """Whether a generated case with this body may be sent (False drops it)."""
        if not self.risky(body):
            return True
        with self.tally.lock:
            allowed = self.policy.texts_anybody and self._replaceable(body)
            over = allowed and self.tally.sent >= self.policy.max_sms
            if not allowed or over:
                self.tally.dropped += 1
            cap_now = over and self._over_cap()
        if cap_now and self.on_cap is not None:
            self.on_cap()
        return allowed and not over

    def admit(self, body: object) -> None:
        """Make ``body`` safe to send, in place, or raise ``SmsBlocked``.

        Called for every request just before it leaves.
        """
        if not self.risky(body):
            return
        with self.tally.lock:
            allowed = self.policy.texts_anybody and self._replaceable(body)
            over = allowed and self.tally.sent >= self.policy.max_sms
            if allowed and not over:
                assert isinstance(body, dict)
                if body[self.phone_field] not in self.policy.allowlist:
                    body[self.phone_field] = next(self._numbers)
                    self.tally.replaced += 1
                self.tally.sent += 1
                return
            self.tally.blocked += 1
            cap_now = over and self._over_cap()
        if cap_now and self.on_cap is not None:
            self.on_cap()
        raise SmsBlocked("this request could send an SMS that the SMS policy does not allow")

    def _over_cap(self) -> bool:
        """Count a request the cap kept back (the tally's lock held); whether the cap has
        only now been found spent."""
        self.tally.over_cap += 1
        first = not self.tally.cap_reached
        self.tally.cap_reached = True
        return first
