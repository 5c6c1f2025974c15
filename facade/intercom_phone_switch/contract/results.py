"""What one contract run of one version found, gathered from schemathesis' events.

A version's :class:`Verdict` is one of: kept (every check it could run passed, and it ran
to the end), broken (a check failed, or the run went wrong), refused (the server did not
take the credentials), unreachable, cut short (the SMS cap ran out part-way), or not run.
Only "kept" counts as keeping the contract. A check that the run never exercised (no
answer it judges came) is skipped, with the reason, never "passed".
"""

from __future__ import annotations

import enum
from collections import Counter
from dataclasses import dataclass, field

import requests
from schemathesis.engine import Status, events

from intercom_phone_switch._redact import Masker
from intercom_phone_switch.spec import METHOD

from .safety import SmsBlocked, SmsTally
from .transport import AnswerTooLarge, AnswerTooSlow, TimeLimitReached, never_reached

#: How many example requests each distinct failure keeps.
EXAMPLES_PER_FAILURE = 3
#: Answers that refuse credentials: a request carrying the run's own got one of these.
REFUSING_STATUSES = frozenset({401, 403})
#: Why a version was not run: an earlier one spent the SMS cap, or found the target
#: unreachable.
CAP_SPENT = "the SMS cap was spent by an earlier version"
TARGET_UNREACHABLE = "the target was unreachable"
#: The check that judges well-formed requests, and the one that judges answers' bodies.
POSITIVE_CHECK = "positive_data_acceptance"
SCHEMA_CHECK = "response_schema_conformance"


class Verdict(str, enum.Enum):
    """What a version's run says about its contract."""

    KEPT = "kept"
    BROKEN = "broken"
    REFUSED = "credentials refused"
    UNREACHABLE = "unreachable"
    CUT_SHORT = "cut short"
    NOT_RUN = "not run"

    def __str__(self) -> str:
        return self.value


@dataclass
class CheckFailure:
    """One kind of failure (a check and a title), with a few requests that show it."""

    check: str
    title: str
    message: str
    count: int = 0
    examples: list[str] = field(default_factory=list)

    def describe(self) -> str:
        lines = [f"{self.check}: {self.title} ({self.count}x)"]
        if self.message:
            lines.append(self.message)
        lines.extend(self.examples)
        return "\n".join(lines)


@dataclass
class VersionResult:
    """The outcome of the contract run of one version against one target."""

    version: str
    target: str
    seed: int
    #: Test cases generated and sent, by phase (examples, coverage, fuzzing).
    cases_by_phase: Counter[str] = field(default_factory=Counter)
    #: Requests answered, including the extra requests some checks send.
    requests: int = 0
    #: Answers by status code.
    statuses: Counter[int] = field(default_factory=Counter)
    #: Answers by status code, to the requests of the operation's method (POST) that
    #: carried the run's credentials; other methods may be refused before any auth check.
    credentialed: Counter[int] = field(default_factory=Counter)
    #: Answers to well-formed (positive) test cases, by status code.
    positive: Counter[int] = field(default_factory=Counter)
    #: Check results by check name: passed, failed and crashed.
    passed: Counter[str] = field(default_factory=Counter)
    failed: Counter[str] = field(default_factory=Counter)
    crashed: Counter[str] = field(default_factory=Counter)
    #: The checks the run had enabled (those never exercised are reported as skipped).
    enabled_checks: tuple[str, ...] = ()
    failures: dict[tuple[str, str], CheckFailure] = field(default_factory=dict)
    #: Problems that are not check failures, each with how often it happened.
    errors: Counter[str] = field(default_factory=Counter)
    #: Why the engine stopped ("completed" when it ran every phase).
    stop_reason: str = "completed"
    #: The SMS guard's account; None for an in-process fake, which texts nobody.
    sms: SmsTally | None = None
    #: The run texted nobody on purpose (no allow-list): well-formed requests, which
    #: could all send an SMS, were not sent.
    texts_nobody: bool = False
    #: The run passed its time limit and was stopped.
    timed_out: bool = False
    #: The SMS cap ran out before the version's run ended: it was not run to its end.
    cut_short: bool = False
    #: Why the target could not be reached (None: it answered, or it was not tried).
    unreachable: str | None = None
    #: Requests that never reached the target, for a target that answered others.
    unreached: int = 0
    #: Why the version was not run at all (None when it was).
    not_run: str | None = None
    seconds: float = 0.0

    @property
    def cases(self) -> int:
        return sum(self.cases_by_phase.values())

    @property
    def checks(self) -> int:
        return sum(self.passed.values()) + sum(self.failed.values()) + sum(self.crashed.values())

    @property
    def check_names(self) -> list[str]:
        """Every check of the run: those that ran and those enabled that never did."""
        ran = set(self.passed) | set(self.failed) | set(self.crashed)
        return sorted(ran | set(self.enabled_checks))

    @property
    def stopped_by_cap(self) -> bool:
        return self.sms is not None and self.sms.cap_reached

    @property
    def skipped_checks(self) -> dict[str, str]:
        """Check name -> why it was never exercised (it is reported as skipped, not as
        passed). A check that failed is never skipped."""
        if self.not_run is not None or self.unreachable is not None:
            return {}
        hint = (
            "; with no numbers allowed to be texted, no request that could send an SMS is "
            "made, and every well-formed request could"
            if self.texts_nobody
            else ""
        )
        found: dict[str, str] = {}
        for name in self.check_names:
            if self.failed[name] or self.crashed[name]:
                continue
            if not self.passed[name]:
                found[name] = "it never ran: no answer it applies to came"
            elif name == POSITIVE_CHECK and not any(200 <= s < 300 for s in self.positive):
                answered = sum(self.positive.values())
                statuses = "/".join(str(status) for status in sorted(self.positive))
                found[name] = (
                    f"no well-formed request was accepted (2xx): the {answered} answered got "
                    f"{statuses}, which the spec allows for numbers that cannot be texted"
                    if answered
                    else "no well-formed request was answered"
                ) + hint
            elif name == SCHEMA_CHECK and not any(200 <= s < 300 for s in self.statuses):
                found[name] = (
                    "no 2xx answer came, so an accepted answer's schema was never checked" + hint
                )
        return found

    @property
    def credentials_refused(self) -> str | None:
        """Why the run's results cannot be trusted because its credentials were refused.

        Any 401 or 403 to a request that carried the run's own credentials means the
        server did not take them: whatever the checks saw of such answers, they did not
        see the endpoint at work. So does a run in which no request that carried them got
        an answer while others did (every answer a refusal of some other credentials).
        None when neither happened.
        """
        if self.not_run is not None or self.unreachable is not None:
            return None
        total = sum(self.credentialed.values())
        if not total:
            if not self.requests:
                return None
            return (
                f"none of the {self.requests} answers was to a request carrying the access "
                "token, so nothing was checked; check how the target is reached (a proxy "
                "that drops the Authorization header, say)"
            )
        refused = sum(self.credentialed[status] for status in REFUSING_STATUSES)
        if not refused:
            return None
        statuses = "/".join(
            str(status) for status in sorted(REFUSING_STATUSES) if self.credentialed[status]
        )
        reason = (
            f"the server refused the credentials: {refused} of the {total} requests that "
            f"carried the access token were answered {statuses}"
        )
        if refused == total:
            reason += ", so nothing was checked"
        return reason + "; check the access token and its workspace"

    @property
    def nothing_checked(self) -> bool:
        """Whether no request that carried the credentials got an answer but a refusal."""
        if self.not_run is not None or self.unreachable is not None or not self.requests:
            return False
        refused = sum(self.credentialed[status] for status in REFUSING_STATUSES)
        return refused == sum(self.credentialed.values())

    @property
    def problems(self) -> list[str]:
        """What kept the run from testing what it should have (not check failures)."""
        if self.not_run is not None:
            return []
        if self.unreachable is not None:
            return [f"the target was unreachable ({self.unreachable})"]
        found = [
            f"{error} ({count}x)" if count > 1 else error for error, count in self.errors.items()
        ]
        if self.unreached:
            found.append(f"{self.unreached} requests never reached the target")
        if self.timed_out:
            found.append("the run passed its time limit and was stopped")
        if self.cases == 0 or self.checks == 0:
            found.append("nothing was tested: no cases or no checks ran")
        if self.stop_reason != "completed" and not self.cut_short and not self.timed_out:
            found.append(f"the run stopped early: {self.stop_reason}")
        return found

    @property
    def verdict(self) -> Verdict:
        if self.not_run is not None:
            return Verdict.NOT_RUN
        if self.unreachable is not None:
            return Verdict.UNREACHABLE
        if self.credentials_refused is not None:
            return Verdict.REFUSED
        if self.failures or self.problems:
            return Verdict.BROKEN
        if self.cut_short:
            return Verdict.CUT_SHORT
        return Verdict.KEPT

    @property
    def ok(self) -> bool:
        """The version kept its contract: every check it ran passed, nothing went wrong,
        the server took the credentials, something was actually tested, and the run went
        to its end.

        A version left out (``not_run``) or cut short by the SMS cap is not ok: it was
        not checked in full.
        """
        return self.verdict is Verdict.KEPT


class Collector:
    """Folds the engine's events into a ``VersionResult``."""

    def __init__(self, result: VersionResult, mask: Masker) -> None:
        self.result = result
        #: Every text the server may have shaped is masked with the run's secrets.
        self.mask = mask
        self._authorization: str | None = None
        #: Requests the SMS guard kept back since the last scenario ended: a check whose
        #: own request was kept back ends with that error, which is no crash of the check.
        self._kept_back = 0

    def carrying(self, token: str | None) -> Collector:
        """Count the answers to requests that carry ``token`` as their bearer token."""
        self._authorization = f"bearer {token}".lower() if token else None
        return self

    def _carries_credentials(self, headers: dict[str, list[str]]) -> bool:
        if self._authorization is None:
            return False
        return any(
            name.lower() == "authorization"
            and any(value.strip().lower() == self._authorization for value in values)
            for name, values in headers.items()
        )

    def add(self, event: events.EngineEvent) -> None:
        if isinstance(event, events.ScenarioFinished):
            self._scenario(event)
        elif isinstance(event, events.NonFatalError):
            self._error(event)
        elif isinstance(event, events.FatalError):
            self.result.errors[self.mask(f"fatal: {event.exception!r}")] += 1
        elif isinstance(event, events.EngineFinished):
            self.result.stop_reason = str(event.stop_reason.value)
            for failure in event.failures:
                self._failure("run", failure.title, failure.message, None)

    def _error(self, event: events.NonFatalError) -> None:
        error = event.value
        if isinstance(error, SmsBlocked | TimeLimitReached):
            self._kept_back += 1
            return  # counted by the SMS tally; the time limit by ``timed_out``
        if isinstance(error, requests.RequestException) and never_reached(error) is not None:
            self.result.unreached += 1
            return
        if isinstance(error, AnswerTooLarge | AnswerTooSlow):
            self.result.errors[self.mask(f"{event.label}: {error}")] += 1
            return
        self.result.errors[
            self.mask(f"{event.label}: {event.info.title}: {event.info.message}")
        ] += 1

    def _scenario(self, event: events.ScenarioFinished) -> None:
        recorder = event.recorder
        phase = str(event.phase.value)
        roots = [node for node in recorder.cases.values() if node.parent_id is None]
        sent = [node for node in roots if node.value.id in recorder.interactions]
        self.result.cases_by_phase[phase] += len(sent)
        for node in sent:
            response = recorder.interactions[node.value.id].response
            meta = node.value.meta
            if (
                response is not None
                and meta is not None
                and meta.generation.mode.is_positive
                and node.value.method.lower() == METHOD
            ):
                self.result.positive[response.status_code] += 1
        for interaction in recorder.interactions.values():
            if interaction.response is not None:
                self.result.requests += 1
                self.result.statuses[interaction.response.status_code] += 1
                if interaction.request.method.lower() == METHOD and self._carries_credentials(
                    interaction.request.headers
                ):
                    self.result.credentialed[interaction.response.status_code] += 1
        kept_back, self._kept_back = self._kept_back, 0
        for checks in recorder.checks.values():
            for check in checks:
                if check.status == Status.SUCCESS:
                    self.result.passed[check.name] += 1
                elif check.status == Status.FAILURE:
                    self.result.failed[check.name] += 1
                    info = check.failure_info
                    if info is not None:
                        self._failure(
                            check.name, info.failure.title, info.failure.message, info.code_sample
                        )
                    else:
                        self._failure(check.name, "failed", "", None)
                elif kept_back:
                    kept_back -= 1  # its request was not sent: the check did not run
                else:
                    self.result.crashed[check.name] += 1
                    self.result.errors[self.mask(f"check {check.name} crashed")] += 1

    def _failure(self, check: str, title: str, message: str, sample: str | None) -> None:
        check, title, message = self.mask(check), self.mask(title), self.mask(message)
        sample = None if sample is None else self.mask(sample)
        key = (check, title)
        found = self.result.failures.get(key)
        if found is None:
            found = self.result.failures[key] = CheckFailure(check, title, message)
        found.count += 1
        if sample and len(found.examples) < EXAMPLES_PER_FAILURE:
            found.examples.append(sample)
