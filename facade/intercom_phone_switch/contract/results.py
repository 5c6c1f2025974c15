"""What one contract run of one version found, gathered from schemathesis' events."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from schemathesis.engine import Status, events

from intercom_phone_switch._effective import METHOD
from intercom_phone_switch._redact import Masker

from .safety import SmsBlocked, SmsTally

#: How many example requests each distinct failure keeps.
EXAMPLES_PER_FAILURE = 3
#: Answers that refuse credentials: a request carrying the run's own got one of these.
REFUSING_STATUSES = frozenset({401, 403})


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
    #: Check results by check name: passed, failed and crashed.
    passed: Counter[str] = field(default_factory=Counter)
    failed: Counter[str] = field(default_factory=Counter)
    crashed: Counter[str] = field(default_factory=Counter)
    failures: dict[tuple[str, str], CheckFailure] = field(default_factory=dict)
    #: Problems that are not check failures: the run could not test something.
    errors: list[str] = field(default_factory=list)
    #: Why the engine stopped ("completed" when it ran every phase).
    stop_reason: str = "completed"
    #: The SMS guard's account; None for an in-process fake, which texts nobody.
    sms: SmsTally | None = None
    #: The run passed its time limit and was stopped.
    timed_out: bool = False
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
        return sorted(set(self.passed) | set(self.failed) | set(self.crashed))

    @property
    def stopped_by_cap(self) -> bool:
        return self.sms is not None and self.sms.cap_reached

    @property
    def credentials_refused(self) -> str | None:
        """Why the run's results cannot be trusted because its credentials were refused.

        Any 401 or 403 to a request that carried the run's own credentials means the
        server did not take them: whatever the checks saw of such answers, they did not
        see the endpoint at work. None when no such answer came.
        """
        if self.not_run is not None:
            return None
        refused = sum(self.credentialed[status] for status in REFUSING_STATUSES)
        if not refused:
            return None
        total = sum(self.credentialed.values())
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
        """Whether every request that carried the credentials had them refused."""
        refused = sum(self.credentialed[status] for status in REFUSING_STATUSES)
        return bool(refused) and refused == sum(self.credentialed.values())

    @property
    def problems(self) -> list[str]:
        """What kept the run from testing what it should have (not check failures)."""
        if self.not_run is not None:
            return []
        found = list(self.errors)
        if self.timed_out:
            found.append("the run passed its time limit and was stopped")
        if self.cases == 0 or self.checks == 0:
            found.append("nothing was tested: no cases or no checks ran")
        if self.stop_reason != "completed" and not self.stopped_by_cap and not self.timed_out:
            found.append(f"the run stopped early: {self.stop_reason}")
        return found

    @property
    def ok(self) -> bool:
        """Every check passed, nothing went wrong, the server took the credentials, and
        something was actually tested.

        A version left out (``not_run``) is not ok either: it was not checked.
        """
        return (
            self.not_run is None
            and not self.failures
            and not self.problems
            and self.credentials_refused is None
        )


class Collector:
    """Folds the engine's events into a ``VersionResult``."""

    def __init__(self, result: VersionResult, token: str | None = None) -> None:
        self.result = result
        #: Every text the server may have shaped is masked with the run's token.
        self.mask = Masker([token])
        self._authorization = f"bearer {token}".lower() if token else None

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
            if not isinstance(event.value, SmsBlocked):
                self.result.errors.append(
                    self.mask(f"{event.label}: {event.info.title}: {event.info.message}")
                )
        elif isinstance(event, events.FatalError):
            self.result.errors.append(self.mask(f"fatal: {event.exception!r}"))
        elif isinstance(event, events.EngineFinished):
            self.result.stop_reason = str(event.stop_reason.value)
            for failure in event.failures:
                self._failure("run", failure.title, failure.message, None)

    def _scenario(self, event: events.ScenarioFinished) -> None:
        recorder = event.recorder
        phase = str(event.phase.value)
        roots = [node for node in recorder.cases.values() if node.parent_id is None]
        sent = [node for node in roots if node.value.id in recorder.interactions]
        self.result.cases_by_phase[phase] += len(sent)
        for interaction in recorder.interactions.values():
            if interaction.response is not None:
                self.result.requests += 1
                self.result.statuses[interaction.response.status_code] += 1
                if interaction.request.method.lower() == METHOD and self._carries_credentials(
                    interaction.request.headers
                ):
                    self.result.credentialed[interaction.response.status_code] += 1
        for case_id, checks in recorder.checks.items():
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
                else:
                    self.result.crashed[check.name] += 1
                    self.result.errors.append(
                        self.mask(f"check {check.name} crashed on case {case_id}")
                    )

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
