"""``intercom-phone-switch contract``: check a server against each version's contract.

Exit status: 0 when every version kept its contract, 1 when a check failed or a run
could not test what it should have, 2 for usage errors.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import click

from intercom_phone_switch_generated.registry import VERSIONS

from ._options import region_option, token_option

if TYPE_CHECKING:
    from intercom_phone_switch.contract.results import VersionResult

EXIT_FAILED = 1


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


@click.command()
@click.option("--fake", is_flag=True, help="Test the embedded fake Intercom, in this process.")
@region_option("Test Intercom's servers in this region.")
@click.option(
    "--base-url", default=None, help="Test this server (a proxy, a fake started with serve)."
)
@token_option
@click.option(
    "--version",
    "versions",
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
    type=click.FloatRange(min=1),
    default=None,
    help="Seconds one version may take before its run is stopped and fails.",
)
def contract(
    fake: bool,
    region: str | None,
    base_url: str | None,
    token: str | None,
    versions: tuple[str, ...],
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
    try:
        from intercom_phone_switch.contract import report, runner
        from intercom_phone_switch.contract.safety import SmsPolicy, SmsPolicyError
    except ImportError as error:  # the optional dependencies are missing
        raise click.ClickException(
            f"{error}. Install the contract extra: pip install 'intercom-phone-switch[contract]'"
        ) from None

    if sum((fake, region is not None, base_url is not None)) != 1:
        raise click.UsageError("choose one target: --fake, --region or --base-url")
    try:
        policy = SmsPolicy.parse(sms_allowlist, max_sms)
    except SmsPolicyError as error:
        raise click.UsageError(str(error)) from None
    chosen = _versions(versions)
    defaults = runner.Settings()
    settings = runner.Settings(
        seed=defaults.seed if seed is None else seed,
        max_examples=max_examples or defaults.max_examples,
        time_limit=time_limit or defaults.time_limit,
    )

    target: runner.Target | None = None
    if not fake:
        if not token:
            raise click.UsageError(
                "a server needs an access token: --token or INTERCOM_ACCESS_TOKEN"
            )
        if base_url is None:
            from intercom_phone_switch._client import REGIONS

            assert region is not None
            base_url = REGIONS[region]
        target = runner.Target.remote(base_url, token)
        click.echo(f"SMS policy: {policy.describe()}")
    elif policy.texts_anybody:
        click.echo("The embedded fake texts nobody: the SMS options apply to real servers.")

    def show(result: VersionResult) -> None:
        click.echo(report.summary_line(result))

    results = runner.run(
        chosen,
        target if target is not None else runner.Target.embedded_fake,
        settings=settings,
        sms=policy,
        on_result=show,
    )
    failed = [result for result in results if not result.ok]
    for result in failed:
        click.echo(f"\n{result.version}: contract broken\n{report.details(result)}", err=True)
    if junit_xml is not None:
        report.write_junit(results, junit_xml)
        click.echo(f"JUnit report: {junit_xml}")
    if failed:
        names = ", ".join(result.version for result in failed)
        click.echo(f"Contract broken for {names}.", err=True)
        click.get_current_context().exit(EXIT_FAILED)
    click.echo(f"Contract kept by every version checked ({len(results)}).")
