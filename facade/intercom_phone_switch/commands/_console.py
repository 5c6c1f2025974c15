"""A rich console for tables that never cuts a cell.

On a terminal the tables fit its width, with long cells folded onto more lines; in a
pipe or a CI log they take the width their cells need, so each row stays one line.
Text is soft-wrapped: the console never breaks a line of prose itself.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from rich.console import Console
    from rich.table import Table

#: The width of a console that is not a terminal: wide enough for any row.
UNBOUNDED = 100_000


def console(*, stderr: bool = False) -> Console:
    from rich.console import Console

    shown = Console(stderr=stderr, soft_wrap=True)
    if not shown.is_terminal:
        shown = Console(stderr=stderr, soft_wrap=True, width=UNBOUNDED)
    return shown


def folded(table: Table) -> Table:
    """``table`` with every column folding long cells onto more lines instead of cutting."""
    for column in table.columns:
        column.overflow = "fold"
    return table
