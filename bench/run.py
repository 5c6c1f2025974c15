"""Run every benchmark, print one table, write ``bench/results.json``.

    python bench/run.py                  # everything (what ``nox -s bench`` runs)
    python bench/run.py --only percall   # one part; repeatable
    python bench/run.py --quick          # fewer rounds, for a smoke run

Every figure is a median over repeats, and every target judges a ratio against an
alternative measured in the same run (or a fixed budget), because absolute times on a
shared machine say little. The exit status is 0 even when a target is missed: the table
says which, and bench/README.md explains why.
"""

from __future__ import annotations

import argparse
import sys
import time
import traceback
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

if __package__ in (None, ""):  # run as a script: make the ``bench`` package importable
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

if TYPE_CHECKING:
    from bench.report import Row

PARTS = ("percall", "bulk", "pacing", "importtime", "regenerate", "fakeserver", "guard")


def plan(quick: bool) -> dict[str, dict[str, Any]]:
    """Keyword arguments of each part's ``run``: the counts and rounds of this run."""
    if quick:
        return {
            "percall": {"count": 100, "rounds": 5, "warmup": 100},
            "bulk": {"items": 500, "rounds": 1, "warmup": 100},
            "pacing": {"budget": 10, "window": 1, "items": 45},
            "importtime": {"rounds": 5},
            "regenerate": {"rounds": 1, "cli_rounds": 1},
            "fakeserver": {"seconds": 1.0, "warmup": 0.5, "rounds": 1},
            "guard": {
                "count": 30,
                "rounds": 5,
                "warmup": 30,
                "processes": 2,
                "each": 60,
                "budget": 20,
                "window": 1,
            },
        }
    return {
        "percall": {"count": 250, "rounds": 20, "warmup": 300},
        "bulk": {"items": 2000, "rounds": 5, "warmup": 300},
        "pacing": {"budget": 20, "window": 2, "items": 110},
        "importtime": {"rounds": 31},
        "regenerate": {"rounds": 2, "cli_rounds": 1},
        "fakeserver": {"seconds": 2.0, "warmup": 1.0, "rounds": 5},
        "guard": {
            "count": 25,
            "rounds": 60,
            "warmup": 100,
            "processes": 4,
            "each": 250,
            "budget": 100,
            "window": 2,
        },
    }


def runner(part: str) -> Callable[..., list[Row]]:
    import importlib

    module = importlib.import_module(f"bench.{part}")
    run: Callable[..., list[Row]] = module.run
    return run


def failed(part: str, error: BaseException) -> Row:
    from bench.report import Row

    return Row(part, "(failed)", None, "", note=f"{type(error).__name__}: {error}")


def main(argv: list[str] | None = None) -> int:
    from bench.report import markdown_table, summary, text_table, write_json

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", action="append", choices=PARTS, help="run only this part")
    parser.add_argument("--quick", action="store_true", help="fewer rounds (a smoke run)")
    parser.add_argument(
        "--json",
        type=Path,
        default=Path(__file__).resolve().parent / "results.json",
        help="where to write the results (default: bench/results.json)",
    )
    parser.add_argument(
        "--load-generator",
        choices=("auto", "wrk", "python"),
        default="auto",
        help="what loads the fake server (default: wrk when installed, else python)",
    )
    parser.add_argument("--markdown", action="store_true", help="also print a Markdown table")
    args = parser.parse_args(argv)

    settings = plan(args.quick)
    settings["fakeserver"]["generator"] = args.load_generator
    started = time.perf_counter()
    rows: list[Row] = []
    for part in args.only or PARTS:
        part_started = time.perf_counter()
        print(f"running {part} ...", file=sys.stderr, flush=True)
        try:
            rows.extend(runner(part)(**settings[part]))
        except Exception as error:  # one broken part must not hide the others' figures
            traceback.print_exc()
            rows.append(failed(part, error))
        print(f"  {time.perf_counter() - part_started:.1f} s", file=sys.stderr, flush=True)
    seconds = time.perf_counter() - started

    print(text_table(rows))
    counts = summary(rows)
    print(
        f"\n{counts['met']} of {counts['targets']} targets met, {counts['missed']} missed,"
        f" {counts['not_measured']} not measured; {seconds:.0f} s"
    )
    if args.markdown:
        print("\n" + markdown_table(rows))
    write_json(args.json, rows, seconds, {"quick": args.quick, "parts": settings})
    print(f"results written to {args.json}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
