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

Each version's run reads that version's contract (an ``EffectiveSpec`` of the document
``spec.run_document`` makes from ``intercom_phone_switch.spec.effective(version)``) and no
other: its bearer scheme, its phone field and pattern (for the SMS guard), its documented
refusals (for ``.checks``).

Against a base URL every answer is read under a size and a time cap, the time limit
holds for each request (nothing is sent past it, and an answer still arriving is cut
off), and a target that cannot be reached is reported once, not once per request (see
``.transport``).
"""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

import schemathesis
from schemathesis.checks import CHECKS, load_all_checks
from schemathesis.engine import events, from_schema

from intercom_phone_switch._redact import Masker, mask_url, url_secrets
from intercom_phone_switch.spec import EffectiveSpec
from intercom_phone_switch_generated.registry import VERSIONS

from . import checks
from .results import CAP_SPENT, TARGET_UNREACHABLE, Collector, Verdict, VersionResult
from .safety import SmsGuard, SmsPolicy, SmsPolicyError, SmsTally
from .spec import PHONE, VERSION_HEADER, resolve_version, run_document
from .transport import Limits, NetworkTransport, install, without_probes

#: The seed of every run unless told otherwise: the same requests every time.
DEFAULT_SEED = 20_160_611
#: Hypothesis examples per phase. 100 finds every defect of the deliberately broken apps
#: in tests/contract, and one version's run against the embedded fake takes 1-2 seconds.
DEFAULT_MAX_EXAMPLES = 100
#: A run stops (and fails) once one version has taken this long.
DEFAULT_TIME_LIMIT = 300.0
#: Seconds for one whole request, from connecting to the answer's last byte.
DEFAULT_REQUEST_TIMEOUT = 10.0
#: The largest answer body read (decoded); Intercom's answers here are a few hundred bytes.
DEFAULT_MAX_ANSWER_BYTES = 1 << 20

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
    max_answer_bytes: int = DEFAULT_MAX_ANSWER_BYTES

    def __post_init__(self) -> None:
        if self.max_examples < 1:
            raise ValueError("max_examples must be at least 1")
        if not (0 < self.time_limit < math.inf and 0 < self.request_timeout < math.inf):
            raise ValueError("time limits must be positive and finite")
        if self.max_answer_bytes < 1:
            raise ValueError("max_answer_bytes must be at least 1")


def check_base_url(url: str) -> str:
    """``url`` as a run takes it (no trailing slash), or ValueError saying, with the URL
    masked, what is wrong with it: a base URL names a server and nothing else. Credentials
    (``user:password@``) would go out as Basic auth in place of the access token; a query
    or a fragment would end up in the wrong place of every request."""
    from urllib.parse import urlsplit

    shown = mask_url(url)
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018  (a port out of range or not a number raises here)
    except ValueError:
        raise ValueError(f"{shown} is not a URL") from None
    if "@" in parts.netloc:
        raise ValueError(
            f"{shown}: a URL with credentials (user:password@) is refused, as they would be "
            "sent as Basic auth instead of the access token; pass the token on its own"
        )
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValueError(f"{shown} is not an absolute http(s) URL")
    if parts.query or parts.fragment or "?" in url or "#" in url:
        raise ValueError(f"{shown}: a base URL takes no query or fragment")
    if any(char.isspace() or ord(char) < 0x20 for char in url):
        raise ValueError(f"{shown}: a URL has no spaces or control characters")
    return url.rstrip("/")


@dataclass(frozen=True)
class Target:
    """What the run talks to: an ASGI app in this process, or a base URL.

    Only an in-process app marked ``sms_free`` (the embedded fake, or a test's app built on
    it) runs without the SMS guard; a base URL is always guarded, whatever it points at.
    """

    token: str = field(repr=False)
    base_url: str | None = None
    app: Any = field(default=None, compare=False)
    sms_free: bool = False
    label: str = ""

    def __post_init__(self) -> None:
        if (self.base_url is None) == (self.app is None):
            raise ValueError("a target is either an in-process app or a base URL")
        if self.base_url is not None:
            if self.sms_free:
                raise ValueError("a network target is never taken to be SMS-free")
            check_base_url(self.base_url)
        if not self.token:
            raise ValueError("a target needs an access token")

    @classmethod
    def remote(cls, base_url: str, token: str) -> Target:
        """A server at ``base_url`` (http or https, no credentials, query or fragment)."""
        url = check_base_url(base_url)
        return cls(token=token, base_url=url, label=mask_url(url))

    @classmethod
    def in_process(cls, app: Any, token: str, *, sms_free: bool, label: str) -> Target:
        return cls(token=token, app=app, sms_free=sms_free, label=label)

    @classmethod
    def embedded_fake(cls, token: str = "contract-token") -> Target:
        """A fresh embedded fake Intercom that accepts ``token``."""
        from intercom_phone_switch.fake import FakeIntercom

        fake = FakeIntercom(tokens=[token])
        return cls.in_process(fake, token, sms_free=True, label="embedded fake")

    def secrets(self) -> list[str]:
        """What a report about this target must never show."""
        return [self.token, *url_secrets(self.base_url or "")]


def _bearer_scheme(contract: EffectiveSpec) -> str:
    schemes = contract.document.get("components", {}).get("securitySchemes", {})
    for name, scheme in schemes.items():
        if scheme.get("type") == "http" and str(scheme.get("scheme", "")).lower() == "bearer":
            return str(name)
    raise ValueError(f"the spec of {contract.version} declares no bearer security scheme")


def config_for(contract: EffectiveSpec, target: Target, settings: Settings) -> schemathesis.Config:
    """The schemathesis configuration of one version's run."""
    return schemathesis.Config.from_dict(
        {
            "seed": settings.seed,
            "workers": 1,
            "base-url": target.base_url or IN_PROCESS_URL,
            "request-timeout": settings.request_timeout,
            # Nothing replayed from, or written to, a cache in the working directory.
            "cache": {"enabled": False},
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
            "headers": {VERSION_HEADER: contract.version},
            "auth": {"openapi": {_bearer_scheme(contract): {"bearer": target.token}}},
        }
    )


def _enabled_checks(schema: Any) -> tuple[str, ...]:
    load_all_checks()
    config = schema.config.checks_config_for()
    names = [name for name in CHECKS.get_all_names() if config.get_by_name(name=name).enabled]
    return tuple(dict.fromkeys([*names, checks.NAME]))


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
    tested = run_document(version, document)
    contract = EffectiveSpec(version, tested)
    checks.register()
    schema = schemathesis.openapi.from_dict(tested, config=config_for(contract, target, settings))
    result = VersionResult(
        version=version,
        target=target.label,
        seed=settings.seed,
        enabled_checks=_enabled_checks(schema),
    )
    policy = sms or SmsPolicy()
    guard: SmsGuard | None = None
    limits: Limits | None = None
    transport: NetworkTransport | None = None
    started = time.monotonic()
    if target.app is not None:
        schema.app = target.app
    if not target.sms_free:
        guard = SmsGuard.for_contract(policy, contract, tally or SmsTally())
        limits = Limits(
            settings.request_timeout, settings.max_answer_bytes, started + settings.time_limit
        )
        transport = install(schema, guard, limits)
        result.texts_nobody = not policy.texts_anybody
    collector = Collector(result, Masker(target.secrets())).carrying(target.token)
    before = guard.tally.snapshot() if guard is not None else None
    try:
        with checks.testing(contract), without_probes():
            _drive(schema, collector, result, settings, started, guard, limits)
    finally:
        if transport is not None:
            transport.close()
    if guard is not None and before is not None:
        result.sms = guard.tally.since(before)
        # Not run to its end: a case a larger cap would have sent was left out.
        result.cut_short = result.sms.over_cap > 0
    if limits is not None and limits.unreachable is not None and not result.requests:
        result.unreachable = limits.unreachable
    result.seconds = time.monotonic() - started
    return result


def _drive(
    schema: Any,
    collector: Collector,
    result: VersionResult,
    settings: Settings,
    started: float,
    guard: SmsGuard | None,
    limits: Limits | None,
) -> None:
    """Feed the engine's events to ``collector`` until the run ends, stopping it once the
    time limit passes, the SMS cap is spent, or the target proved unreachable."""
    stream = from_schema(schema).execute()
    stopping = False
    for event in stream:
        collector.add(event)
        if stopping:
            continue
        if time.monotonic() - started > settings.time_limit:
            result.timed_out = stopping = True
            stream.stop()
        elif limits is not None and limits.unreachable is not None and not limits.answered:
            stopping = True
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


def check_policy(policy: SmsPolicy, versions: Iterable[str]) -> None:
    """SmsPolicyError unless every allow-listed number fits the phone pattern of each
    version (read from that version's own contract)."""
    from intercom_phone_switch import spec

    for version in versions:
        contract = spec.effective(resolve_version(version))
        for number in policy.allowlist:
            if contract.phone_pattern.fullmatch(number) is None:
                raise SmsPolicyError(
                    f"{number} does not match the phone pattern of {contract.version} "
                    f"(its field {contract.request_field(PHONE)!r})"
                )


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
    the SMS cap is spent, the target proved unreachable, or the server refused the
    credentials of every request that carried them, the run stops: the versions after
    that are reported as not run.
    """
    chosen = [resolve_version(version) for version in (versions or VERSIONS)]
    if sms is not None:
        check_policy(sms, chosen)
    tally = SmsTally()
    settings = settings or Settings()
    results: list[VersionResult] = []
    stopped: str | None = None
    for version in chosen:
        spent = sms is not None and sms.texts_anybody and tally.sent >= sms.max_sms
        if stopped is None and (tally.cap_reached or spent):
            stopped = CAP_SPENT
        if stopped is not None:
            result = VersionResult(
                version=version,
                target=results[-1].target if results else "",
                seed=settings.seed,
                not_run=stopped,
            )
        else:
            current = target() if callable(target) else target
            result = run_version(version, current, settings=settings, sms=sms, tally=tally)
            if result.verdict is Verdict.UNREACHABLE:
                stopped = TARGET_UNREACHABLE
            elif result.nothing_checked:
                stopped = f"the server refused the credentials in the run of {result.version}"
        if on_result is not None:
            on_result(result)
        results.append(result)
    return results


#: The cap of a count run: never reached.
_UNCAPPED = 10**9


def sms_needed(
    versions: Iterable[str],
    policy: SmsPolicy,
    *,
    settings: Settings | None = None,
) -> dict[str, int]:
    """How many requests that could send an SMS a full run of each version makes.

    Counted by running each version, with the same seed and settings and the same SMS
    guard (``policy``'s numbers, no cap), against a fresh embedded fake served on a
    loopback port, which texts nobody. A real server that answers differently may make
    the checks send a few more or fewer.
    """
    import secrets

    from intercom_phone_switch.fake import FakeIntercom

    if not policy.texts_anybody:
        raise SmsPolicyError("counting needs the numbers a run may text")
    uncapped = SmsPolicy(policy.allowlist, _UNCAPPED)
    token = secrets.token_urlsafe(16)
    counts: dict[str, int] = {}
    # The fake's server warns about the malformed requests the run sends on purpose:
    # that is the run's business, not the reader's.
    server_log = logging.getLogger("uvicorn.error")
    quiet = _Silence()
    for version in versions:
        fake = FakeIntercom(tokens=[token])
        with fake.serve(host="127.0.0.1") as server:
            server_log.addFilter(quiet)
            try:
                result = run_version(
                    version, Target.remote(server.url, token), settings=settings, sms=uncapped
                )
            finally:
                server_log.removeFilter(quiet)
        counts[result.version] = result.sms.sent if result.sms is not None else 0
    return counts


class _Silence(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        return False
