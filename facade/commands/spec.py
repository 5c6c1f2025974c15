"""``intercom-phone-switch import-spec`` and ``intercom-phone-switch diff``.

Maintainer commands over the stored contract: import one of Intercom's published
descriptions as a supported version, and compare two versions' contracts.

Exit status: 0 done; 1 ``import-spec --check`` found a file to change, generation failed,
or ``diff --fail-on-breaking`` found a breaking change; 2 usage error, including an input
that cannot be read (a missing or undecodable file, a URL that does not answer, a document
that is not an OpenAPI description, a --root without the stored spec).
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from ._console import console as make_console
from ._console import folded

#: What reading a user's document or folder may raise, besides the project's own errors:
#: the file system, decoding, YAML, and structures that are not the expected document.
UNREADABLE: tuple[type[Exception], ...] = (
    OSError,
    ValueError,
    KeyError,
    TypeError,
    AttributeError,
    IndexError,
    RecursionError,
)

if TYPE_CHECKING:
    from rich.console import Console

    from intercom_phone_switch.spec.importer import ImportResult

_ROOT = click.option(
    "--root",
    type=click.Path(file_okay=False, exists=True, path_type=Path),
    default=Path("."),
    show_default=True,
    help="The project folder holding openapi.yaml and overlays/.",
)


def _report(console: Console, result: ImportResult, changed: list[str]) -> None:
    fired = ", ".join(result.fired) or "none"
    console.print(f"[bold]Intercom-Version {result.version}[/]: corrections applied: {fired}")
    if result.not_fired:
        console.print(f"  conditions not met (nothing to correct): {', '.join(result.not_fired)}")
    if result.dangling:
        console.print(f"  references leading nowhere upstream: {', '.join(result.dangling)}")
    if result.promoted:
        console.print(
            f"  {result.version} is newer than {result.previous_stored}: it becomes openapi.yaml"
            " and every other overlay is written against it"
        )
    if changed:
        console.print("  files changed: " + ", ".join(changed))
    else:
        console.print("  every file is already what the import writes")


@click.command(
    "import-spec",
    epilog=(
        "Exit status: 0 imported (or, with --check, nothing would change); 1 --check found "
        "a file to change, or generation failed; 2 usage error, including a source or "
        "--root that cannot be read."
    ),
)
@click.argument("version", required=False)
@click.argument("source", metavar="[PATH_OR_URL]", required=False)
@_ROOT
@click.option(
    "--generate/--no-generate",
    default=True,
    show_default=True,
    help="Regenerate generated/ when a file changed.",
)
@click.option(
    "--check", is_flag=True, help="Write nothing; exit 1 if the import would change a file."
)
@click.option(
    "--normalize",
    is_flag=True,
    help="Import nothing: write openapi.yaml and the overlays again as an import would "
    "(after editing them by hand). Their contracts do not change.",
)
def import_spec(
    version: str | None,
    source: str | None,
    root: Path,
    generate: bool,
    check: bool,
    normalize: bool,
) -> None:
    """Import Intercom's published description of VERSION from PATH_OR_URL.

    Keeps POST /phone_call_redirects and what it references, applies our corrections,
    puts our prose on it and writes overlays/VERSION.yaml (or openapi.yaml, for the
    newest stable version), then regenerates the clients and shows what changed for
    a client.
    """
    import httpx
    import yaml

    from intercom_phone_switch.spec import diff as contract_diff
    from intercom_phone_switch.spec import importer
    from intercom_phone_switch.spec.effective import SpecError, build

    console = make_console()
    root = root.resolve()
    if normalize:
        if version is not None or source is not None:
            raise click.UsageError("--normalize takes no VERSION or PATH_OR_URL")
        _normalize(console, root, check, generate)
        return
    if version is None or source is None:
        raise click.UsageError("VERSION and PATH_OR_URL are required (or --normalize)")
    try:
        before = {spec.version: spec.document for spec in build(root)}
        description = importer.load_description(source)
        result = importer.plan_import(root, version, description)
    except (importer.SpecImportError, SpecError) as exc:
        raise click.UsageError(str(exc)) from None
    except (httpx.HTTPError, httpx.InvalidURL, yaml.YAMLError) as exc:
        raise click.UsageError(f"cannot read {source}: {exc}") from None
    except UNREADABLE as exc:
        raise click.UsageError(f"cannot read {source}: {exc}") from None
    changed = result.changes(root)
    _report(console, result, changed)
    if check:
        if changed:
            raise click.ClickException("the import would change: " + ", ".join(changed))
        return
    importer.write(root, result)
    baseline = version if version in before else result.previous_stored
    changes = contract_diff.diff(before[baseline], result.document)
    console.print(folded(contract_diff.table(changes, baseline, version)))
    if generate and changed:
        _generate(console, root)


def _normalize(console: Console, root: Path, check: bool, generate: bool) -> None:
    import yaml

    from intercom_phone_switch.spec import importer
    from intercom_phone_switch.spec.effective import SpecError

    try:
        files = importer.plan_normalize(root)
    except (SpecError, yaml.YAMLError) as exc:
        raise click.UsageError(f"cannot read {root}: {exc}") from None
    except UNREADABLE as exc:
        raise click.UsageError(f"cannot read {root}: {exc}") from None
    changed = [
        name for name, text in files.items() if (root / name).read_text(encoding="utf-8") != text
    ]
    if check:
        if changed:
            raise click.ClickException("not as an import writes them: " + ", ".join(changed))
        console.print("openapi.yaml and the overlays are as an import writes them")
        return
    for name in changed:
        (root / name).write_text(files[name], encoding="utf-8")
    console.print("rewritten: " + (", ".join(changed) or "nothing"))
    if generate and changed:
        _generate(console, root)


def _generate(console: Console, root: Path) -> None:
    from intercom_phone_switch.spec.generate import GenerationFailed, generate_all

    try:
        specs = generate_all(root)
    except GenerationFailed as exc:
        raise click.ClickException(f"generation failed: {exc}") from exc
    console.print(f"regenerated generated/ for {len(specs)} versions")


def _contract(name: str, root: Path) -> dict[str, Any]:
    import yaml

    from intercom_phone_switch.spec.effective import SpecError, build
    from intercom_phone_switch.spec.emit import load

    path = Path(name)
    if path.suffix in (".yaml", ".yml", ".json") and path.is_file():
        try:
            document = load(path.read_text(encoding="utf-8"))
        except yaml.YAMLError as exc:
            raise click.UsageError(f"cannot read {name}: {exc}") from None
        except UNREADABLE as exc:
            raise click.UsageError(f"cannot read {name}: {exc}") from None
        if isinstance(document, dict) and isinstance(document.get("paths"), dict):
            return document
        raise click.UsageError(f"{name} is not an OpenAPI document")
    try:
        specs = {spec.version: spec.document for spec in build(root)}
    except (SpecError, yaml.YAMLError) as exc:
        raise click.UsageError(f"cannot read the stored spec under {root}: {exc}") from None
    except UNREADABLE as exc:
        raise click.UsageError(f"cannot read the stored spec under {root}: {exc}") from None
    if name not in specs:
        raise click.UsageError(f"unknown version {name!r}; supported: {', '.join(specs)}")
    return specs[name]


@click.command(
    epilog=(
        "Exit status: 0 compared; 1 --fail-on-breaking found a breaking change; 2 usage "
        "error, including an unknown version or a file that cannot be read."
    )
)
@click.argument("old")
@click.argument("new")
@_ROOT
@click.option("--json", "as_json", is_flag=True, help="Print the changes as JSON, not as a table.")
@click.option(
    "--output",
    type=click.Path(dir_okay=False, writable=True, path_type=Path),
    help="Also write the changes as JSON to this file.",
)
@click.option("--fail-on-breaking", is_flag=True, help="Exit 1 when a change is breaking.")
def diff(
    old: str, new: str, root: Path, as_json: bool, output: Path | None, fail_on_breaking: bool
) -> None:
    """What changes for a client going from version OLD to version NEW.

    OLD and NEW are supported versions (2.12, Preview...) or paths to OpenAPI files.
    Each change is marked breaking or not for a client written against OLD.
    """

    from intercom_phone_switch.spec import diff as contract_diff

    root = root.resolve()
    before, after = _contract(old, root), _contract(new, root)
    try:
        changes = contract_diff.diff(before, after)
    except UNREADABLE as exc:
        raise click.UsageError(f"cannot compare {old} with {new}: {exc!r}") from None
    report = contract_diff.to_json(changes, old, new)
    if output is not None:
        try:
            output.write_text(report, encoding="utf-8")
        except OSError as exc:
            raise click.BadParameter(str(exc), param_hint="--output") from None
    if as_json:
        click.echo(report, nl=False)
    elif changes:
        make_console().print(folded(contract_diff.table(changes, old, new)))
    else:
        click.echo(f"No contract changes from {old} to {new}.")
    if fail_on_breaking and any(change.breaking for change in changes):
        sys.exit(1)
