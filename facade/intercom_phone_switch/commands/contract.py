"""``intercom-phone-switch contract``: check a server against each version's contract.

Exit status (``Exit``):

- 0: every version asked for ran to its end and kept its contract (checks it could not
  exercise are listed as skipped, with the reason).
- 1: a version broke its contract, or a run could not test what it should have (the
  target was unreachable, the server refused the credentials, nothing was tested, the
  time limit passed).
- 2: usage error; nothing was run.
- 3: incomplete: nothing broke, but the SMS cap ran out, so a version was cut short or
  not run. Those are reported as such, never as kept, with the --max-sms a full run needs.
"""

from __future__ import annotations

import enum
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

import click

from intercom_phone_switch_generated.registry import VERSIONS

from ._options import (
    BaseUrl,
    FiniteFloat,
    check_token,
    intercom_version_option,
    region_option,
    token_option,
)
from ._output import Output

if TYPE_CHECKING:
    from intercom_phone_switch.contract.results import VersionResult
    from intercom_phone_switch.contract.safety import SmsPolicy


class Exit(enum.IntEnum):
    """The exit status of ``contract``."""

    KEPT = 0
    FAILED = 1
    USAGE = 2
    INCOMPLETE = 3


EXIT_FAILED = Exit.FAILED


def _writable(path: Path) -> None:
    """A usage error now, rather than after the run, when the report cannot be written."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        with path.open("a", encoding="utf-8"):
            pass
    except OSError as error:
        raise click.BadParameter(
            f"cannot write {str(path)!r}: {error.strerror or error}", param_hint="--junit-xml"
        ) from None


#: The option's name in messages, whichever of its spellings was used.
VERSION_OPTION = "'--intercom-version'"


def _versions(values: tuple[str, ...]) -> list[str]:
    from intercom_phone_switch.contract.spec import UnknownVersion, resolve_version

    chosen: list[str] = []
    for value in values:
        for part in value.split(","):
            if not part.strip():
                continue
            try:
                version = resolve_version(part.strip())
            except UnknownVersion as error:
                raise click.BadParameter(str(error), param_hint=VERSION_OPTION) from None
            if version not in chosen:
                chosen.append(version)
    return chosen or list(VERSIONS)


@click.command(
    short_help="Check a server against each version's contract.",
    epilog=(
        "Exit status: 0 every version asked for ran to its end and kept its contract; "
        "1 a version broke it, or a run could not test what it should have (target "
        "unreachable, credentials refused, nothing tested, time limit); 2 usage error; "
        "3 nothing broke, but the SMS cap ran out: a version was cut short or not run."
    ),
)
@click.option("--fake", is_flag=True, help="Test the embedded fake Intercom, in this process.")
@region_option("Test Intercom's servers in this region.")
@click.option(
    "--base-url",
    type=BaseUrl(),
    default=None,
    help=(
        "Test this server (a proxy, a fake started with serve): http(s), with no "
        "credentials, query or fragment."
    ),
)
@token_option
@intercom_version_option(
    multiple=True,
    metavar="VERSION[,VERSION...]",
    help=f"Versions to check (repeatable); default: all of {', '.join(VERSIONS)}.",
)
@click.option(
    "--sms-allowlist",
    default=None,
    metavar="+E164[,+E164...]",
    help=(
        "Numbers the run may text. Every phone a server could accept is replaced by one "
        "of them. Needs --max-sms. Without it, only requests that cannot send an SMS run."
    ),
)
@click.option(
    "--max-sms",
    type=click.IntRange(min=1),
    default=None,
    help=(
        "At most this many requests that could send an SMS, for the whole run. A version "
        "it runs out in is cut short (not kept); the output then says what a full run needs."
    ),
)
@click.option(
    "--junit-xml",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="Write a JUnit XML report here.",
)
@click.option(
    "--max-examples",
    type=click.IntRange(min=1),
    default=None,
    help="Generated examples per phase and version (default: the suite's own setting).",
)
@click.option("--seed", type=int, default=None, help="Seed of the generated requests.")
@click.option(
    "--time-limit",
    type=FiniteFloat(min=1),
    default=None,
    help="Seconds one version may take before its run is stopped and fails.",
)
def contract(
    fake: bool,
    region: str | None,
    base_url: str | None,
    token: str | None,
    intercom_version: tuple[str, ...],
    sms_allowlist: str | None,
    max_sms: int | None,
    junit_xml: Path | None,
    max_examples: int | None,
    seed: int | None,
    time_limit: float | None,
) -> None:
    """Check a server against the contract of each Intercom-Version.

    Runs the examples, coverage and fuzzing phases of schemathesis with positive and
    negative data and every default check, with a fixed seed. Against anything but the
    embedded fake (--fake), only requests that cannot send an SMS are made unless
    --sms-allowlist and --max-sms say who may be texted and how often; checks that such
    a run cannot exercise are reported as skipped, with the reason.
    """
    # Without the [contract] extra this raises MissingExtra, which the CLI shows in a line.
    from intercom_phone_switch.contract import report, runner
    from intercom_phone_switch.contract.safety import SmsPolicy, SmsPolicyError

    if sum((fake, region is not None, base_url is not None)) != 1:
        raise click.UsageError("choose one target: --fake, --region or --base-url")
    try:
        policy = SmsPolicy.parse(sms_allowlist, max_sms)
    except SmsPolicyError as error:
        raise click.UsageError(str(error)) from None
    chosen = _versions(intercom_version)
    try:  # each allow-listed number against the phone pattern of each version asked for
        runner.check_policy(policy, chosen)
    except SmsPolicyError as error:
        raise click.UsageError(str(error)) from None
    defaults = runner.Settings()
    settings = runner.Settings(
        seed=defaults.seed if seed is None else seed,
        max_examples=max_examples or defaults.max_examples,
        time_limit=time_limit or defaults.time_limit,
    )

    target: runner.Target | None = None
    output = Output([token])
    if not fake:
        if not token:
            raise click.UsageError(
                "a server needs an access token: --token or INTERCOM_ACCESS_TOKEN"
            )
        token = check_token(token)
        if base_url is None:
            from intercom_phone_switch_generated.registry import REGIONS

            assert region is not None
            base_url = REGIONS[region]
        try:
            target = runner.Target.remote(base_url, token)
        except ValueError as error:
            raise click.UsageError(str(error)) from None
        output = Output(target.secrets())
    if junit_xml is not None:
        _writable(junit_xml)
    if target is not None:
        output.line(f"SMS policy: {policy.describe()}")
    elif policy.texts_anybody:
        output.line("The embedded fake texts nobody: the SMS options apply to real servers.")

    def show(result: VersionResult) -> None:
        if result.not_run is None and result.unreachable is None:
            output.line(report.summary_line(result))

    results = runner.run(
        chosen,
        target if target is not None else runner.Target.embedded_fake,
        settings=settings,
        sms=policy,
        on_result=show,
    )

    def needed() -> dict[str, int]:
        return runner.sms_needed(chosen, policy, settings=settings)

    raise SystemExit(_conclude(output, results, junit_xml, policy, needed))


def _names(results: list[VersionResult]) -> str:
    return ", ".join(result.version for result in results)


def _grouped(results: list[VersionResult], reason: Callable[[VersionResult], str]) -> list[str]:
    """A line per distinct reason, naming its versions, in the order first met."""
    found: dict[str, list[str]] = {}
    for result in results:
        found.setdefault(reason(result), []).append(result.version)
    return [f"{', '.join(versions)} ({why})" for why, versions in found.items()]


def _conclude(
    output: Output,
    results: list[VersionResult],
    junit_xml: Path | None,
    policy: SmsPolicy,
    needed: Callable[[], dict[str, int]],
) -> Exit:
    """Tell what the run found, each thing once; the exit status."""
    from intercom_phone_switch.contract import report
    from intercom_phone_switch.contract.results import CAP_SPENT, TARGET_UNREACHABLE, Verdict

    def having(*verdicts: Verdict) -> list[VersionResult]:
        return [result for result in results if result.verdict in verdicts]

    broken = having(Verdict.BROKEN)
    refused = having(Verdict.REFUSED)
    unreachable = having(Verdict.UNREACHABLE)
    cut_short = having(Verdict.CUT_SHORT)
    kept = having(Verdict.KEPT)
    not_run = having(Verdict.NOT_RUN)
    for result in broken:
        output.line(f"\n{result.version}: contract broken\n{report.details(result)}", err=True)
    if junit_xml is not None:
        try:
            report.write_junit(results, junit_xml, mask=output.mask)
        except OSError as error:
            output.line(f"Cannot write the JUnit report {junit_xml}: {error}", err=True)
            return Exit.FAILED
        output.line(f"JUnit report: {junit_xml}")
    for result in refused:
        output.line(f"{result.version}: {result.credentials_refused}.", err=True)
    if broken:
        output.line(f"Contract broken for {_names(broken)}.", err=True)
    if refused:
        output.line(
            f"Not checked: the server refused the credentials for {_names(refused)}; "
            "pass a valid token with --token or INTERCOM_ACCESS_TOKEN.",
            err=True,
        )
    if unreachable:
        first = unreachable[0]
        others = [r for r in not_run if r.not_run == TARGET_UNREACHABLE]
        not_run = [r for r in not_run if r not in others]
        unchecked = [*unreachable, *others]
        which = (
            "no version was checked"
            if len(unchecked) == len(results)
            else f"{len(unchecked)} of the {len(results)} versions were not checked "
            f"({_names(unchecked)})"
        )
        output.line(
            f"Not checked: {first.target} was unreachable ({first.unreachable}), so {which}. "
            "Is the server up, and is the URL right?",
            err=True,
        )
    skipped = [
        (name, reason, result.version)
        for result in kept + cut_short
        for name, reason in result.skipped_checks.items()
    ]
    if skipped:
        lines: dict[tuple[str, str], list[str]] = {}
        for name, reason, version in skipped:
            lines.setdefault((name, reason), []).append(version)
        output.line("Never exercised, so skipped (not passed):")
        for (name, reason), versions in lines.items():
            output.line(f"  {name} in {', '.join(versions)}: {reason}")
    if cut_short:
        output.line(
            f"Cut short, so not kept: {_names(cut_short)}: the SMS cap ran out before "
            "the run of the version ended.",
            err=True,
        )
    for line in _grouped(not_run, lambda result: str(result.not_run)):
        output.line(f"Not run, so not checked: {line}.", err=True)
    if kept:
        output.line(f"Contract kept by {len(kept)} of {len(results)} versions: {_names(kept)}.")
    else:
        output.line(f"Contract kept by none of the {len(results)} versions.")
    capped = cut_short or [r for r in not_run if r.not_run == CAP_SPENT]
    if capped and policy.texts_anybody:
        _tell_the_cap_needed(output, results, policy, needed)
    if broken or refused or unreachable:
        return Exit.FAILED
    if cut_short or not_run:
        return Exit.INCOMPLETE
    return Exit.KEPT


def _tell_the_cap_needed(
    output: Output,
    results: list[VersionResult],
    policy: SmsPolicy,
    needed: Callable[[], dict[str, int]],
) -> None:
    """How large --max-sms must be for every version asked for to run to its end."""
    output.line(
        f"The SMS cap (--max-sms {policy.max_sms}) ran out. Counting what a full run of "
        f"the {len(results)} versions needs, against the embedded fake...",
        err=True,
    )
    try:
        counts = needed()
    except Exception as error:  # counting is a courtesy: its failure is no traceback
        output.line(f"Could not count the SMS a full run needs: {error}", err=True)
        return
    total = sum(counts.values())
    each = ", ".join(f"{version}: {count}" for version, count in counts.items())
    output.line(
        f"To run these {len(counts)} versions to their end, --max-sms must be at least "
        f"{total} ({each}), as counted against the embedded fake with the same seed and "
        "settings; a server that answers differently may need a few more.",
        err=True,
    )
