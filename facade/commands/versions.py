"""``intercom-phone-switch versions``: the supported versions and what serves them."""

from __future__ import annotations

import click


@click.command()
def versions() -> None:
    """List every Intercom-Version and the generated package that serves it."""
    from rich.console import Console
    from rich.table import Table

    from intercom_phone_switch.generated.registry import HEADER_VALUES, LATEST_VERSION, MODULES

    table = Table(title="Intercom-Version values")
    table.add_column("header value")
    table.add_column("served by")
    table.add_column("package")
    for value, version in HEADER_VALUES.items():
        note = " (latest stable)" if value == LATEST_VERSION else ""
        table.add_row(value + note, version, f"intercom_phone_switch.generated.{MODULES[version]}")
    Console().print(table)
