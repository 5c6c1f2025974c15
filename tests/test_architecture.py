"""The dependency rule (pyproject.toml's [tool.importlinter], run by `nox -s lint`) covers
every module of the core: a new top-level module cannot escape it."""

from __future__ import annotations

import sys
from pathlib import Path

if sys.version_info >= (3, 11):
    import tomllib
else:  # mypy, in the test dependencies, brings tomli to Python 3.10
    import tomli as tomllib

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "facade" / "intercom_phone_switch"
#: The top-level modules that are commands, not the core.
COMMANDS = {"cli", "__main__"}


def _contract(name: str) -> dict[str, object]:
    settings = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    contracts = settings["tool"]["importlinter"]["contracts"]
    (found,) = [contract for contract in contracts if contract["name"] == name]
    return found


def test_every_core_module_is_under_the_dependency_rule() -> None:
    contract = _contract("The core imports none of the optional parts")
    listed = set(contract["source_modules"])  # type: ignore[arg-type]
    modules = {
        "intercom_phone_switch" if path.stem == "__init__" else f"intercom_phone_switch.{path.stem}"
        for path in PACKAGE.glob("*.py")
        if path.stem not in COMMANDS
    }
    assert listed == modules


def test_every_optional_part_is_forbidden_to_the_core() -> None:
    contract = _contract("The core imports none of the optional parts")
    parts = {f"intercom_phone_switch.{path.name}" for path in PACKAGE.iterdir() if path.is_dir()}
    parts.discard("intercom_phone_switch.__pycache__")
    forbidden = set(contract["forbidden_modules"])  # type: ignore[arg-type]
    assert parts <= forbidden


#: The core modules an optional part may import besides the public ones: helpers shared
#: with the client, none of them part of sending.
SHARED_HELPERS = {
    "_defaults",
    "_documents",
    "_e164",
    "_extras",
    "_lazy",
    "_live_tokens",
    "_logging",
    "_metadata",
    "_outcome",
    "_pointer",
    "_pytest_entry",
    "_rate_limit",
    "_redact",
    "_settings",
    "_spec_diff",
    "_versions",
}


def test_every_private_module_of_the_core_is_a_helper_or_forbidden_to_the_parts() -> None:
    contract = _contract("The optional parts never reach into the client's machinery")
    forbidden = {name.rsplit(".", 1)[1] for name in contract["forbidden_modules"]}  # type: ignore[union-attr]
    private = {
        path.stem for path in PACKAGE.glob("_*.py") if path.stem not in {"__init__", "__main__"}
    }
    assert forbidden.isdisjoint(SHARED_HELPERS)
    assert private == forbidden | SHARED_HELPERS, "a new private module is in neither list"
    parts = {f"intercom_phone_switch.{path.name}" for path in PACKAGE.iterdir() if path.is_dir()}
    parts.discard("intercom_phone_switch.__pycache__")
    assert parts | {"intercom_phone_switch.cli"} == set(contract["source_modules"])  # type: ignore[arg-type]
