"""``intercom-phone-switch contract``: check a server against each version's contract.

Exit status (``Exit``):

- 0: every version asked for ran and kept its contract.
- 1: a version broke its contract, or a run could not test what it should have (the
  server refused the credentials, nothing was tested, the time limit passed).
- 2: usage error; nothing was run.
- 3: incomplete: the versions that ran kept their contract, but some were not run (the
  SMS cap was spent). They are reported as not run, never as kept.
"""

from __future__ import annotations

import enum
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
                raise click.BadParameter(str(error), param_hint="--version") from None
            if version not in chosen:
                chosen.append(version)
    return chosen or list(VERSIONS)


@click.command(
    epilog=(
        "Exit status: 0 every version asked for ran and kept its contract; 1 a version "
        "broke it, or a run could not test what it should have (credentials refused, "
        "nothing tested, time limit); 2 usage error; 3 the versions run kept it but some "
        "were not run (the SMS cap was spent)."
    )
)
@click.option("--fake", is_flag=True, help="Test the embedded fake Intercom, in this process.")
@region_option("Test Intercom's servers in this region.")
@click.option(
    "--base-url",
    type=BaseUrl(),
    default=None,
    help="Test this server (a proxy, a fake started with serve).",
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
    help="Stop the run once this many requests that could send an SMS went out.",
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
    --sms-allowlist and --max-sms say who may be texted and how often.
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
    if junit_xml is not None:
        _writable(junit_xml)
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
            from intercom_phone_switch._client import REGIONS

            assert region is not None
            base_url = REGIONS[region]
        target = runner.Target.remote(base_url, token)
        output.line(f"SMS policy: {policy.describe()}")
    elif policy.texts_anybody:
        output.line("The embedded fake texts nobody: the SMS options apply to real servers.")

    def show(result: VersionResult) -> None:
        output.line(report.summary_line(result))

    results = runner.run(
        chosen,
        target if target is not None else runner.Target.embedded_fake,
        settings=settings,
        sms=policy,
        on_result=show,
    )
    raise SystemExit(_conclude(output, results, junit_xml))


def _names(results: list[VersionResult]) -> str:
    return ", ".join(result.version for result in results)


def _conclude(output: Output, results: list[VersionResult], junit_xml: Path | None) -> Exit:
    """Tell what the run found; the exit status."""
    from intercom_phone_switch.contract import report

    refused = [r for r in results if r.not_run is None and r.credentials_refused is not None]
    broken = [r for r in results if r.not_run is None and not r.ok and r not in refused]
    kept = [r for r in results if r.ok]
    not_run = [r for r in results if r.not_run is not None]
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
    if kept:
        output.line(f"Contract kept by {len(kept)} of {len(results)} versions: {_names(kept)}.")
    else:
        output.line(f"Contract kept by none of the {len(results)} versions.")
    for result in not_run:
        output.line(f"Not run, so not checked: {result.version} ({result.not_run}).", err=True)
    if broken or refused:
        return Exit.FAILED
    if not_run:
        return Exit.INCOMPLETE
    return Exit.KEPT
