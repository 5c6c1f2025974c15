"""``intercom-phone-switch diff OLD NEW``: what changes for a client between two versions.

Reads the effective specs installed with the package, so it works from a plain install:
"what changes for my code if I move from 2.12 to 2.13". OLD and NEW may also be paths to
OpenAPI documents (JSON; YAML when PyYAML is installed).
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import click

from intercom_phone_switch_generated.registry import HEADER_VALUES, VERSIONS


def _document(name: str) -> dict[str, Any]:
    from intercom_phone_switch.spec import effective

    path = Path(name)
    if path.suffix in (".yaml", ".yml", ".json") and path.is_file():
        return _read_file(path)
    version = name if name in VERSIONS else HEADER_VALUES.get(name)
    if version is None:
        raise click.BadParameter(
            f"{name!r} is neither an installed version ({', '.join(VERSIONS)}) nor an "
            "OpenAPI file (.json, .yaml)"
        )
    return effective(version).copy()


def _read_file(path: Path) -> dict[str, Any]:
    from intercom_phone_switch._documents import DocumentRefused, check_size, load_json

    try:
        check_size(path.stat().st_size, str(path))
        text = path.read_text(encoding="utf-8")
        if path.suffix == ".json":
            try:
                document = load_json(text, str(path))
            except DocumentRefused:
                raise
            except ValueError as exc:
                raise click.BadParameter(f"{path} is not JSON: {exc}") from None
        else:
            document = _read_yaml(path, text)
    except DocumentRefused as exc:
        raise click.BadParameter(str(exc)) from None
    except (OSError, ValueError) as exc:  # ValueError: UnicodeDecodeError among others
        raise click.BadParameter(f"cannot read {path}: {exc}") from None
    if not isinstance(document, dict) or not isinstance(document.get("paths"), dict):
        raise click.BadParameter(f"{path} is not an OpenAPI document")
    return document


def _read_yaml(path: Path, text: str) -> Any:
    from intercom_phone_switch._documents import load_yaml

    try:
        import yaml
    except ImportError:
        raise click.BadParameter(
            f"reading {path} needs PyYAML: pip install pyyaml (or pass a .json file)"
        ) from None
    try:
        return load_yaml(text, str(path))
    except yaml.YAMLError as exc:
        raise click.BadParameter(f"{path} is not YAML: {exc}") from None


@click.command(
    epilog=(
        "Exit status: 0 compared; 1 --fail-on-breaking found a breaking change; 2 usage "
        "error, including an unknown version or a file that cannot be read."
    )
)
@click.argument("old")
@click.argument("new")
@click.option("--json", "as_json", is_flag=True, help="Print the changes as JSON, not as a table.")
@click.option(
    "--output",
    type=click.Path(dir_okay=False, writable=True, path_type=Path),
    help="Also write the changes as JSON to this file.",
)
@click.option("--fail-on-breaking", is_flag=True, help="Exit 1 when a change is breaking.")
def diff(old: str, new: str, as_json: bool, output: Path | None, fail_on_breaking: bool) -> None:
    """What changes for a client going from version OLD to version NEW.

    OLD and NEW are installed versions (2.12, Preview...) or paths to OpenAPI files.
    Each change is marked breaking or not for a client written against OLD.
    """
    from intercom_phone_switch import _spec_diff

    try:
        changes = _spec_diff.diff(_document(old), _document(new))
    except (KeyError, TypeError, ValueError, AttributeError, IndexError, RecursionError) as exc:
        raise click.UsageError(f"cannot compare {old} and {new}: {exc!r}") from None
    report = _spec_diff.to_json(changes, old, new)
    if output is not None:
        try:
            output.write_text(report, encoding="utf-8")
        except OSError as exc:
            raise click.UsageError(f"cannot write {output}: {exc}") from None
    if as_json:
        click.echo(report, nl=False)
    elif changes:
        from ._console import console, folded

        console().print(folded(_spec_diff.table(changes, old, new)))
    else:
        click.echo(f"No contract changes from {old} to {new}.")
    if fail_on_breaking and any(change.breaking for change in changes):
        sys.exit(1)
