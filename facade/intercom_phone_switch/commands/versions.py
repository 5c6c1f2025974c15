"""``intercom-phone-switch versions``: the supported versions, what serves them, what differs.

The second table is read from each version's effective spec, through
``intercom_phone_switch.spec.effective`` (each version's own, found by its own field
names): the header values it lists, the custom attribute value types it admits, and the
parts of the contract that differ from the newest stable version. Nothing here names a
field of the contract, so a version that renames one is listed like any other.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import click

if TYPE_CHECKING:
    from intercom_phone_switch.spec import EffectiveSpec

#: The schema naming the Intercom-Version header values; it differs in every version by
#: construction, so it has a column of its own instead of a mention in "differs".
_VERSION_SCHEMA = "intercom_version"


def header_values(document: Mapping[str, Any]) -> str:
    """The Intercom-Version values a version's spec lists, as "first-last, others"."""
    listed = [str(v) for v in document["components"]["schemas"][_VERSION_SCHEMA]["enum"]]
    numeric = [v for v in listed if v.replace(".", "").isdigit()]
    named = [v for v in listed if v not in numeric]
    parts = [f"{numeric[0]}-{numeric[-1]}"] if numeric else []
    return ", ".join(parts + named)


def differences(document: Mapping[str, Any], latest: Mapping[str, Any]) -> list[str]:
    """The parts of ``document`` that differ from ``latest`` (info and versions aside)."""
    found: list[str] = []
    for key in sorted(set(document) | set(latest)):
        if key in ("info", "components") or key.startswith("x-"):
            continue
        if document.get(key) != latest.get(key):
            found.append(key)
    schemas = document.get("components", {}).get("schemas", {})
    latest_schemas = latest.get("components", {}).get("schemas", {})
    for name in sorted(set(schemas) | set(latest_schemas)):
        if name == _VERSION_SCHEMA:
            continue
        if name not in schemas:
            found.append(f"no {name}")
        elif name not in latest_schemas:
            found.append(f"adds {name}")
        elif schemas[name] != latest_schemas[name]:
            found.append(f"{name} differs")
    return found


#: JSON Schema types a custom attribute value may have when the schema leaves it open.
_OPEN_VALUE_TYPES = ("string", "integer", "number", "boolean")


def value_types(contract: EffectiveSpec) -> list[str]:
    """Human names of the value types a version's custom attributes admit, in its spec's
    order (a referenced schema by its title); empty when it admits none."""
    schema = contract.attribute_schema
    if schema is None:
        return []
    values = schema.get("additionalProperties", True)
    if values is True or values == {}:
        return list(_OPEN_VALUE_TYPES)
    if values is False:
        return []
    values = contract.resolve(values)
    names = []
    for branch in values.get("anyOf") or values.get("oneOf") or [values]:
        if isinstance(branch, Mapping) and "$ref" in branch:
            target = contract.resolve(branch)
            title = target.get("title") if isinstance(target, Mapping) else None
            names.append(str(title or branch["$ref"].rsplit("/", 1)[-1].replace("_", " ")).lower())
        elif isinstance(branch, Mapping) and isinstance(branch.get("type"), str):
            names.append(str(branch["type"]))
        else:
            names.append(
                str(branch.get("title", "value")) if isinstance(branch, Mapping) else "value"
            )
    return names


def what_differs() -> list[tuple[str, str, str, str]]:
    """(version, header values listed, custom attribute values, differences) per version."""
    from intercom_phone_switch.spec import effective
    from intercom_phone_switch_generated.registry import LATEST_VERSION, VERSIONS

    latest = effective(LATEST_VERSION).document
    rows: list[tuple[str, str, str, str]] = []
    for version in VERSIONS:
        contract = effective(version)
        if version == LATEST_VERSION:
            differs = "(the newest stable version)"
        else:
            differs = "; ".join(differences(contract.document, latest)) or "nothing"
        rows.append(
            (
                version,
                header_values(contract.document),
                ", ".join(value_types(contract)) or "none",
                differs,
            )
        )
    return rows


@click.command(
    short_help="List the Intercom-Versions, what serves them and what differs.",
    epilog="Exit status: 0 listed; 2 usage error.",
)
def versions() -> None:
    """List every Intercom-Version, the generated package serving it, and what differs."""
    from rich.table import Table

    from intercom_phone_switch_generated.registry import HEADER_VALUES, LATEST_VERSION, MODULES

    from ._console import console as make_console

    console = make_console()
    table = Table(title="Intercom-Version values")
    for column in ("header value", "served by", "package"):
        table.add_column(column, overflow="fold")
    for value, version in HEADER_VALUES.items():
        note = " (latest stable)" if value == LATEST_VERSION else ""
        table.add_row(value + note, version, f"intercom_phone_switch_generated.{MODULES[version]}")
    console.print(table)

    differ = Table(
        title=f"What differs (from each version's effective spec, against {LATEST_VERSION})"
    )
    for column in (
        "version",
        "header values it lists",
        "custom attribute values",
        f"differs from {LATEST_VERSION}",
    ):
        differ.add_column(column, overflow="fold")
    for row in what_differs():
        differ.add_row(*row)
    console.print(differ)
