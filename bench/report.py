"""Rows of the results table: a figure, the ratio it is judged by, the target, met or missed."""

from __future__ import annotations

import json
import math
import os
import platform
import sys
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Literal

Comparison = Literal["<=", ">="]


@dataclass(frozen=True)
class Target:
    """A bound: ``value <= bound`` or ``value >= bound``.

    With ``unit`` "x" the value is the row's ratio; with any other unit (" s", "") it is
    the row's figure itself, in that unit.
    """

    comparison: Comparison
    bound: float
    unit: str = "x"

    @property
    def on_ratio(self) -> bool:
        return self.unit == "x"

    def met_by(self, value: float | None) -> bool | None:
        """True or False for a measured value; None when nothing was measured."""
        if value is None or math.isnan(value):
            return None
        if self.comparison == "<=":
            return value <= self.bound
        return value >= self.bound

    def __str__(self) -> str:
        word = "at most" if self.comparison == "<=" else "at least"
        return f"{word} {_number(self.bound)}{self.unit}"


@dataclass
class Row:
    """One line of the table.

    ``figure`` is the measurement of the subject (in ``unit``), ``reference`` what it is
    compared with, ``ratio`` the number the target judges. A row without a target is
    informative only; a row whose ratio is None was not measured (``note`` says why).
    """

    section: str
    subject: str
    figure: float | None
    unit: str
    reference: str = ""
    ratio: float | None = None
    target: Target | None = None
    note: str = ""
    details: dict[str, Any] = field(default_factory=dict)
    #: The lowest and highest figure over the rounds (None: a single measurement).
    spread: tuple[float, float] | None = None
    #: The lowest and highest ratio over the rounds.
    ratio_spread: tuple[float, float] | None = None

    @property
    def met(self) -> bool | None:
        if self.target is None:
            return None
        return self.target.met_by(self.ratio if self.target.on_ratio else self.figure)

    @property
    def verdict(self) -> str:
        if self.target is None:
            return ""
        return {True: "met", False: "MISSED", None: "not measured"}[self.met]

    def as_json(self) -> dict[str, Any]:
        data = asdict(self)
        data["target"] = None if self.target is None else str(self.target)
        data["target_bound"] = None if self.target is None else asdict(self.target)
        data["met"] = self.met
        data["verdict"] = self.verdict
        return data


def _number(value: float) -> str:
    if value == int(value) and (abs(value) >= 1 or value == 0):
        return f"{int(value):,}"
    if abs(value) >= 100:
        return f"{value:,.0f}"
    if abs(value) >= 10:
        return f"{value:.1f}"
    return f"{value:.3g}" if abs(value) < 1 else f"{value:.2f}"


def figure_text(row: Row) -> str:
    if row.figure is None:
        return "-"
    return f"{_number(row.figure)} {row.unit}".strip()


def ratio_text(row: Row) -> str:
    if row.ratio is None:
        return "-"
    text = f"{row.ratio:.2f}"
    target = row.target
    # Never show a missed target's ratio rounded onto its bound.
    if target is not None and target.on_ratio and row.met is False and float(text) == target.bound:
        text = f"{row.ratio:.3f}"
    return f"{text}x"


def spread_text(row: Row) -> str:
    """min-max over the rounds: of the ratio where there is one, else of the figure."""
    if row.ratio is not None and row.ratio_spread is not None:
        low, high = row.ratio_spread
        return f"{low:.2f}-{high:.2f}x"
    if row.figure is not None and row.spread is not None:
        low, high = row.spread
        return f"{_number(low)}-{_number(high)}"
    return "one run" if row.figure is not None else "-"


def spread(values: Sequence[float]) -> tuple[float, float] | None:
    """(min, max) of the values, None for none."""
    found = [value for value in values if value is not None and not math.isnan(value)]
    return (min(found), max(found)) if found else None


COLUMNS = (
    "benchmark",
    "subject",
    "figure",
    "compared with",
    "ratio",
    "spread (min-max)",
    "target",
    "verdict",
)


def cells(row: Row) -> tuple[str, ...]:
    return (
        row.section,
        row.subject,
        figure_text(row),
        row.reference,
        ratio_text(row),
        spread_text(row),
        "" if row.target is None else str(row.target),
        row.verdict,
    )


def text_table(rows: Sequence[Row]) -> str:
    """A fixed-width table for the terminal, notes listed under it."""
    lines = [COLUMNS, *(cells(row) for row in rows)]
    widths = [max(len(line[i]) for line in lines) for i in range(len(COLUMNS))]
    out = []
    for index, line in enumerate(lines):
        out.append(
            "  ".join(cell.ljust(width) for cell, width in zip(line, widths, strict=True)).rstrip()
        )
        if index == 0:
            out.append("  ".join("-" * width for width in widths))
    notes = [f"- {row.section} / {row.subject}: {row.note}" for row in rows if row.note]
    if notes:
        out += ["", "notes:", *notes]
    return "\n".join(out)


def markdown_table(rows: Sequence[Row]) -> str:
    """The same table in Markdown, for bench/README.md (its results section)."""
    out = ["| " + " | ".join(COLUMNS) + " |", "|" + "---|" * len(COLUMNS)]
    for row in rows:
        line = [cell.replace("|", "\\|") for cell in cells(row)]
        if row.verdict == "MISSED":
            line[-1] = "**missed**"
        out.append("| " + " | ".join(line) + " |")
    return "\n".join(out)


def summary(rows: Iterable[Row]) -> dict[str, int]:
    judged = [row for row in rows if row.target is not None]
    return {
        "targets": len(judged),
        "met": sum(row.met is True for row in judged),
        "missed": sum(row.met is False for row in judged),
        "not_measured": sum(row.met is None for row in judged),
    }


def write_json(path: Path, rows: Sequence[Row], seconds: float, settings: dict[str, Any]) -> None:
    document = {
        "python": sys.version.split()[0],
        "platform": platform.platform(),
        "machine": platform.machine(),
        "cpus": os.cpu_count(),
        "seconds": round(seconds, 1),
        "settings": settings,
        "summary": summary(rows),
        "rows": [row.as_json() for row in rows],
        "markdown": markdown_table(rows),
    }
    path.write_text(json.dumps(document, indent=2, default=str) + "\n", encoding="utf-8")
