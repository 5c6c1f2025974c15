"""The harness's bookkeeping: targets, verdicts, tables. Nothing here is timed."""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest

from bench.report import Row, Target, markdown_table, summary, text_table, write_json


@pytest.mark.parametrize(
    ("target", "value", "met"),
    [
        (Target("<=", 1.25), 1.25, True),
        (Target("<=", 1.25), 1.2501, False),
        (Target(">=", 2.0), 2.0, True),
        (Target(">=", 2.0), 1.99, False),
        (Target(">=", 0.9), None, None),
        (Target(">=", 0.9), math.nan, None),
    ],
)
def test_target_judges_a_value(target: Target, value: float | None, met: bool | None) -> None:
    assert target.met_by(value) is met


def test_target_text_names_the_bound_and_unit() -> None:
    assert str(Target("<=", 1.25)) == "at most 1.25x"
    assert str(Target(">=", 2.0)) == "at least 2x"
    assert str(Target("<=", 3.0, " s")) == "at most 3 s"
    assert str(Target("<=", 0, "")) == "at most 0"


def test_a_ratio_target_judges_the_ratio_not_the_figure() -> None:
    row = Row("s", "facade", 120.0, "us/call", ratio=1.1, target=Target("<=", 1.25))
    assert row.met is True
    assert row.verdict == "met"


def test_a_unit_target_judges_the_figure() -> None:
    row = Row("s", "generate_all", 3.4, "s", ratio=0.5, target=Target("<=", 3.0, " s"))
    assert row.met is False
    assert row.verdict == "MISSED"


def test_rows_without_a_measurement_are_not_counted_as_met() -> None:
    rows = [
        Row("a", "x", 1.0, "", ratio=1.0, target=Target("<=", 1.2)),
        Row("a", "y", 2.0, "", ratio=2.0, target=Target("<=", 1.2)),
        Row("a", "z", None, "", target=Target("<=", 1.2), note="not installed"),
        Row("a", "info", 5.0, "ms"),
    ]
    assert summary(rows) == {"targets": 3, "met": 1, "missed": 1, "not_measured": 1}
    assert rows[2].verdict == "not measured"
    assert rows[3].verdict == ""


def test_tables_show_every_row_and_the_notes() -> None:
    rows = [
        Row("per-call", "facade", 101.5, "us/call", "raw", 1.31, Target("<=", 1.25), "slow"),
        Row("per-call", "raw | httpx", 77.0, "us/call"),
    ]
    text = text_table(rows)
    assert "1.31x" in text
    assert "MISSED" in text
    assert "- per-call / facade: slow" in text
    markdown = markdown_table(rows)
    assert markdown.count("\n") == 3
    assert "**missed**" in markdown
    assert "raw \\| httpx" in markdown


def test_results_json_holds_figures_ratios_targets_and_verdicts(tmp_path: Path) -> None:
    rows = [Row("per-call", "facade", 100.0, "us/call", "raw", 1.1, Target("<=", 1.25))]
    path = tmp_path / "results.json"
    write_json(path, rows, 12.3, {"quick": True})
    document = json.loads(path.read_text())
    [row] = document["rows"]
    assert row["figure"] == 100.0
    assert row["ratio"] == 1.1
    assert row["target"] == "at most 1.25x"
    assert row["met"] is True
    assert document["summary"]["met"] == 1
    assert document["settings"] == {"quick": True}


def test_a_missed_ratio_is_never_shown_rounded_onto_its_bound() -> None:
    from bench.report import ratio_text

    missed = Row("s", "x", 5972.0, "req/s", ratio=0.9953, target=Target(">=", 1.0))
    assert ratio_text(missed) == "0.995x"
    met = Row("s", "x", 6100.0, "req/s", ratio=1.0166, target=Target(">=", 1.0))
    assert ratio_text(met) == "1.02x"
