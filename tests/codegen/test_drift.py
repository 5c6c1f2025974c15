"""The drift check: committed generated/ must equal a fresh generation."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from codegen.drift import INPUTS, differences
from intercom_phone_switch_generated.registry import LATEST_VERSION, MODULES

ROOT = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.generator


@pytest.fixture(scope="module")
def copy_of_project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    target = tmp_path_factory.mktemp("project")
    for name in (*INPUTS, "generated"):
        source = ROOT / name
        if source.is_dir():
            shutil.copytree(source, target / name, ignore=shutil.ignore_patterns("__pycache__"))
        else:
            shutil.copy2(source, target / name)
    return target


def test_committed_generation_is_current() -> None:
    assert differences(ROOT) == []


def test_editing_a_generated_file_is_caught(copy_of_project: Path) -> None:
    edited = (
        copy_of_project
        / "generated"
        / "intercom_phone_switch_generated"
        / MODULES[LATEST_VERSION]
        / "models"
        / "phone_switch.py"
    )
    original = edited.read_text()
    edited.write_text(original + "\n# a hand edit\n")
    try:
        assert differences(copy_of_project) == [
            "differs: generated/intercom_phone_switch_generated/"
            f"{MODULES[LATEST_VERSION]}/models/phone_switch.py"
        ]
    finally:
        edited.write_text(original)


def test_a_stray_or_missing_file_is_caught(copy_of_project: Path) -> None:
    stray = (
        copy_of_project
        / "generated"
        / "intercom_phone_switch_generated"
        / "v2_9"
        / "models"
        / "extra.py"
    )
    stray.write_text("x = 1\n")
    removed = copy_of_project / "generated" / "intercom_phone_switch_generated" / "registry.py"
    kept = removed.read_text()
    removed.unlink()
    try:
        assert differences(copy_of_project) == [
            "only in generated/: intercom_phone_switch_generated/v2_9/models/extra.py",
            "missing from generated/: intercom_phone_switch_generated/registry.py",
        ]
    finally:
        stray.unlink()
        removed.write_text(kept)


def test_changing_an_overlay_is_caught(copy_of_project: Path) -> None:
    overlay = copy_of_project / "overlays" / "2.13.yaml"
    original = overlay.read_text()
    overlay.write_text(original.replace("admits only string values", "admits strings"))
    try:
        assert differences(copy_of_project) == []  # a description-only change of the overlay
        overlay.write_text(original.replace('default: "2.13"', 'default: "2.12"'))
        assert (
            "differs: generated/intercom_phone_switch_generated/v2_13/openapi.json"
            in differences(copy_of_project)
        )
    finally:
        overlay.write_text(original)
