"""``python -m codegen.import_command``: import one of Intercom's published descriptions.

A maintainer command (``nox -s import_spec -- VERSION PATH_OR_URL``): it writes the stored
spec or an overlay, regenerates generated/ and shows what changed for a client.

The change is made whole or not at all: the files are written, generated/ regenerated
and checked (a second generation gives the same bytes, every version's seam works) in a
copy of the project, and only then copied in. A failure leaves the project as it was and
says what to do.

Exit status: 0 done; 1 the import stopped (a stable name of the facade does not resolve
in the version, generation or its checks failed) or ``--check`` found a file to change;
2 usage error, including an input that cannot be read or is refused (a missing or
undecodable file, a URL that does not answer, a document that is not an OpenAPI
description, one too large, too deep or with YAML aliases, a --root without the stored
spec).
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import click

from intercom_phone_switch.commands._console import console as make_console
from intercom_phone_switch.commands._console import folded

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

    from .importer import ImportResult

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
    for pointer in result.described:
        console.print(
            f"  {pointer}: no prose of ours yet; it got a placeholder description to reword"
        )
    if changed:
        console.print("  files changed: " + ", ".join(changed))
    else:
        console.print("  every file is already what the import writes")


@click.command(
    "import-spec",
    epilog=(
        "Exit status: 0 imported (or, with --check, nothing would change); 1 the import "
        "stopped and wrote nothing (a stable name to declare, generation failed), or "
        "--check found a file to change; 2 usage error, including a source or --root that "
        "cannot be read or is refused."
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

    from intercom_phone_switch import _spec_diff as contract_diff
    from intercom_phone_switch._documents import DocumentRefused

    from . import importer
    from .effective import SpecError

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
        description = importer.load_description(source)
        result = importer.plan_import(root, version, description)
    except importer.StableNamesMissing as exc:
        raise click.ClickException(str(exc)) from None
    except DocumentRefused as exc:
        raise click.UsageError(f"refused: {exc}") from None
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
    if result.previous_document is not None:
        baseline, before = version, result.previous_document
    else:
        baseline, before = result.previous_stored, result.previous_stored_document
    changes = contract_diff.diff(before, result.document)
    console.print(folded(contract_diff.table(changes, baseline, version)))
    if changed or generate:
        _apply(console, root, result.files, result.obsolete, generate)


def _apply(
    console: Console,
    root: Path,
    files: dict[str, str],
    obsolete: list[str],
    generate: bool,
) -> None:
    from .staging import Stopped, apply

    try:
        written = apply(root, files, obsolete, generate=generate)
    except Stopped as exc:
        raise click.ClickException(
            f"{exc}\nNothing was written. See CONTRIBUTING.md, 'Adding an Intercom version': a "
            "description the generator refuses needs a correction rule "
            "(codegen/corrections.py) or a declaration in the version's overlay."
        ) from None
    generated = [name for name in written if name.startswith("generated/")]
    for name in written:
        if not name.startswith("generated/"):
            console.print(f"  {'deleted' if name in obsolete else 'written'}: {name}")
    if generate:
        console.print(f"regenerated generated/ ({len(generated)} files changed)")


def _normalize(console: Console, root: Path, check: bool, generate: bool) -> None:
    import yaml

    from intercom_phone_switch._documents import DocumentRefused

    from . import importer
    from .effective import SpecError

    try:
        files = importer.plan_normalize(root)
    except DocumentRefused as exc:
        raise click.UsageError(f"refused: {exc}") from None
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
    console.print("rewritten: " + (", ".join(changed) or "nothing"))
    # Hand edits change the effective specs even when their text needs no rewriting.
    if changed or generate:
        _apply(console, root, {name: files[name] for name in changed}, [], generate)


if __name__ == "__main__":
    import_spec(prog_name="python -m codegen.import_command")
