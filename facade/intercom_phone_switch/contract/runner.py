"""Drive schemathesis over the effective spec of each version, against one target.

One run per version: the examples, coverage and fuzzing phases, positive and negative
data, every default check plus ``.checks``, a fixed seed and no example database, so
that the same code and the same server give the same requests. Credentials go through
schemathesis' auth configuration (the ``bearerAuth`` scheme), never as a generated
header, so the checks that drop or spoil them (``ignored_auth``) know what they do.

``Intercom-Version`` is pinned to the version under test: every request of the run of
version V sends ``Intercom-Version: V``, and the parameter is left out of the document
the run generates from. The header's schema in one version lists only the values that
version knows, yet Intercom accepts every value in the registry and serves each with
its own contract: a "negative" value for 2.7 such as ``2.16`` is a valid request for
another contract, not an invalid one, and a missing header means "the app's default
version", which may be any of them. What V's contract describes is the answer to a
request for V. How a server treats header values that no version accepts is tested
on its own (``tests/contract/test_version_header.py``).
"""

from __future__ import annotations

import copy
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

import schemathesis
from schemathesis.engine import events, from_schema

from intercom_phone_switch_generated.registry import VERSIONS

from . import checks
from .guarded import install
from .results import Collector, VersionResult
from .safety import SmsGuard, SmsPolicy, SmsTally
from .spec import (
    VERSION_HEADER,
    load_document,
    phone_pattern,
    resolve_version,
    without_version_header,
)

#: The seed of every run unless told otherwise: the same requests every time.
DEFAULT_SEED = 20_160_611
#: Hypothesis examples per phase. 100 finds every defect of the deliberately broken apps
#: in tests/contract, and one version's run against the embedded fake takes 1-2 seconds.
DEFAULT_MAX_EXAMPLES = 100
#: A run stops (and fails) once one version has taken this long.
DEFAULT_TIME_LIMIT = 300.0
DEFAULT_REQUEST_TIMEOUT = 10.0

#: Where the in-process app is reached; no request leaves the process.
IN_PROCESS_URL = "http://127.0.0.1"

#: Statuses a well-formed request may get. On top of schemathesis' defaults: 400 and 422,
#: which the spec documents for real-but-unusable numbers (checked by .checks).
POSITIVE_STATUSES = ("2xx", "3xx", "400", "401", "403", "404", "409", "422", "429", "5xx")


@dataclass(frozen=True)
class Settings:
    """How hard a run tries; the defaults are what CI uses."""

    seed: int = DEFAULT_SEED
    max_examples: int = DEFAULT_MAX_EXAMPLES
    time_limit: float = DEFAULT_TIME_LIMIT
    request_timeout: float = DEFAULT_REQUEST_TIMEOUT

    def __post_init__(self) -> None:
        if self.max_examples < 1:
            raise ValueError("max_examples must be at least 1")
        if not self.time_limit > 0 or not self.request_timeout > 0:
            raise ValueError("time limits must be positive")


@dataclass(frozen=True)
class Target:
    """What the run talks to: an ASGI app in this process, or a base URL.

    Only an in-process app marked ``sms_free`` (the embedded fake, or a test's app built on
    it) runs without the SMS guard; a base URL is always guarded, whatever it points at.
    """

    token: str
    base_url: str | None = None
    app: Any = field(default=None, compare=False)
    sms_free: bool = False
    label: str = ""

    def __post_init__(self) -> None:
        if (self.base_url is None) == (self.app is None):
            raise ValueError("a target is either an in-process app or a base URL")
        if self.base_url is not None and self.sms_free:
            raise ValueError("a network target is never taken to be SMS-free")
        if not self.token:
            raise ValueError("a target needs an access token")

    @classmethod
    def remote(cls, base_url: str, token: str) -> Target:
        return cls(token=token, base_url=base_url.rstrip("/"), label=base_url.rstrip("/"))

    @classmethod
    def in_process(cls, app: Any, token: str, *, sms_free: bool, label: str) -> Target:
        return cls(token=token, app=app, sms_free=sms_free, label=label)

    @classmethod
    def embedded_fake(cls, token: str = "contract-token") -> Target:
        """A fresh embedded fake Intercom that accepts ``token``."""
        from intercom_phone_switch.fake import FakeIntercom

        fake = FakeIntercom(tokens=[token])
        return cls.in_process(fake, token, sms_free=True, label="embedded fake")


def _bearer_scheme(document: Mapping[str, Any]) -> str:
    schemes = document.get("components", {}).get("securitySchemes", {})
    for name, scheme in schemes.items():
        if scheme.get("type") == "http" and str(scheme.get("scheme", "")).lower() == "bearer":
            return str(name)
    raise ValueError("the spec declares no bearer security scheme")


def config_for(
    version: str, document: Mapping[str, Any], target: Target, settings: Settings
) -> schemathesis.Config:
    """The schemathesis configuration of one version's run."""
    return schemathesis.Config.from_dict(
        {
            "seed": settings.seed,
            "workers": 1,
            "base-url": target.base_url or IN_PROCESS_URL,
            "request-timeout": settings.request_timeout,
            "generation": {
                "mode": "all",
                "max-examples": settings.max_examples,
                "database": "none",
            },
            "phases": {
                "examples": {"enabled": True},
                "coverage": {"enabled": True},
                "fuzzing": {"enabled": True},
                # One operation without links: nothing to chain.
                "stateful": {"enabled": False},
            },
            "checks": {"positive_data_acceptance": {"expected-statuses": list(POSITIVE_STATUSES)}},
            "headers": {VERSION_HEADER: version},
            "auth": {"openapi": {_bearer_scheme(document): {"bearer": target.token}}},
        }
    )


def run_version(
    version: str,
    target: Target,
    *,
    settings: Settings | None = None,
    sms: SmsPolicy | None = None,
    tally: SmsTally | None = None,
    document: Mapping[str, Any] | None = None,
) -> VersionResult:
    """Run the contract of one version against ``target``.

    Args:
        sms: the SMS policy for a target that is not SMS-free; the default texts nobody.
        tally: the SMS account to charge, shared by the versions of one run.
        document: the spec to test against; the version's effective spec by default.
    """
    settings = settings or Settings()
    version = resolve_version(version)
    spec = without_version_header(
        copy.deepcopy(dict(document)) if document is not None else load_document(version)
    )
    checks.register()
    schema = schemathesis.openapi.from_dict(
        spec, config=config_for(version, spec, target, settings)
    )
    guard: SmsGuard | None = None
    if target.app is not None:
        schema.app = target.app
    if not target.sms_free:
        guard = SmsGuard(sms or SmsPolicy(), phone_pattern(spec), tally or SmsTally())
        install(schema, guard)
    result = VersionResult(version=version, target=target.label, seed=settings.seed)
    collector = Collector(result, target.token)
    started = time.monotonic()
    stream = from_schema(schema).execute()
    before = guard.tally.snapshot() if guard is not None else None
    stopping = False
    for event in stream:
        collector.add(event)
        if stopping:
            continue
        if not result.timed_out and time.monotonic() - started > settings.time_limit:
            result.timed_out = stopping = True
            stream.stop()
        elif (
            guard is not None
            and guard.tally.cap_reached
            and isinstance(event, events.ScenarioFinished)
        ):
            # The scenario that spent the cap ran on without SMS (the guard saw to it);
            # stopping here rather than in its middle keeps what it found.
            stopping = True
            stream.stop()
    if guard is not None and before is not None:
        result.sms = guard.tally.since(before)
    result.seconds = time.monotonic() - started
    return result


def run(
    versions: Iterable[str] | None,
    target: Target | Callable[[], Target],
    *,
    settings: Settings | None = None,
    sms: SmsPolicy | None = None,
    on_result: Callable[[VersionResult], None] | None = None,
) -> list[VersionResult]:
    """Run the contract of each version (every supported one by default).

    ``target`` may be a factory, called once per version (a fresh fake for each). Once
    the SMS cap is spent, or the server refused the credentials of every request that
    carried them, the run stops: the versions after that are reported as not run.
    """
    tally = SmsTally()
    settings = settings or Settings()
    results: list[VersionResult] = []
    stopped: str | None = None
    for version in versions or VERSIONS:
        if stopped is None and tally.cap_reached:
            stopped = "the SMS cap was spent by an earlier version"
        if stopped is not None:
            result = VersionResult(
                version=resolve_version(version),
                target=results[-1].target if results else "",
                seed=settings.seed,
                not_run=stopped,
            )
        else:
            current = target() if callable(target) else target
            result = run_version(version, current, settings=settings, sms=sms, tally=tally)
            if result.nothing_checked:
                stopped = f"the server refused the credentials in the run of {result.version}"
        if on_result is not None:
            on_result(result)
        results.append(result)
    return results
