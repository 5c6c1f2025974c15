from __future__ import annotations

import json
from pathlib import Path

import pytest
from openapi_spec_validator import validate

from intercom_phone_switch.generated import registry
from intercom_phone_switch.spec.effective import SpecError, build, header_mapping

ROOT = Path(__file__).resolve().parents[2]
SPECS = build(ROOT)


def test_versions_come_from_stored_spec_and_overlays() -> None:
    overlays = sorted(p.stem for p in (ROOT / "overlays").glob("*.yaml"))
    versions = [spec.version for spec in SPECS]
    assert sorted(versions) == sorted([*overlays, "2.16"])
    assert len(versions) == 11
    assert versions[0] == "2.7"
    assert versions[-1] == "Preview"
    assert tuple(versions) == registry.VERSIONS
    assert registry.LATEST_VERSION == "2.16"


@pytest.mark.parametrize("spec", SPECS, ids=lambda spec: spec.version)
def test_every_effective_spec_is_valid_openapi(spec) -> None:
    validate(json.loads(json.dumps(spec.document)))


@pytest.mark.parametrize("spec", SPECS, ids=lambda spec: spec.version)
def test_committed_effective_spec_matches_the_overlay(spec) -> None:
    import yaml

    committed = yaml.safe_load((ROOT / "generated" / spec.module / "openapi.yaml").read_text())
    assert committed == spec.document


def _value_types(spec) -> set[str]:
    branches = spec.document["components"]["schemas"]["custom_attributes"]["additionalProperties"]
    return {b.get("type") or b["$ref"].rsplit("/", 1)[1] for b in branches["anyOf"]}


def test_versions_differ_where_intercom_says_they_do() -> None:
    by_version = {spec.version: spec for spec in SPECS}
    everything = {"string", "integer", "number", "boolean", "custom_object_instance_list"}
    assert _value_types(by_version["2.16"]) == everything
    assert _value_types(by_version["2.13"]) == {"string", "custom_object_instance_list"}
    for old in ("2.7", "2.8", "2.9", "2.10", "2.11"):
        assert _value_types(by_version[old]) == everything - {"custom_object_instance_list"}
        assert "custom_object_instance" not in by_version[old].document["components"]["schemas"]
    assert "Preview" in by_version["2.11"].header_values
    assert "Preview" not in by_version["2.12"].header_values
    for spec in SPECS:
        schema = spec.document["components"]["schemas"]["intercom_version"]
        assert schema["default"] == spec.version


def test_header_mapping_serves_old_versions_with_the_oldest_description() -> None:
    mapping = header_mapping(SPECS)
    assert mapping["1.0"] == mapping["2.6"] == "2.7"
    assert mapping["2.16"] == "2.16"
    assert mapping["Unstable"] == "Preview"
    assert "preview" not in mapping, "Intercom rejects the lowercase spelling"
    assert mapping == registry.HEADER_VALUES


def test_an_overlay_named_after_another_version_is_refused(tmp_path: Path) -> None:
    (tmp_path / "overlays").mkdir()
    (tmp_path / "openapi.yaml").write_text((ROOT / "openapi.yaml").read_text())
    (tmp_path / "overlays" / "2.99.yaml").write_text((ROOT / "overlays" / "2.15.yaml").read_text())
    with pytest.raises(SpecError, match=r"name it 2\.15\.yaml"):
        build(tmp_path)


def test_the_stored_spec_must_be_the_newest_stable_version(tmp_path: Path) -> None:
    (tmp_path / "overlays").mkdir()
    (tmp_path / "openapi.yaml").write_text((ROOT / "openapi.yaml").read_text())
    text = (ROOT / "overlays" / "2.15.yaml").read_text().replace('"2.15"', '"2.17"')
    (tmp_path / "overlays" / "2.17.yaml").write_text(text.replace("2.15", "2.17"))
    with pytest.raises(SpecError, match="must be the newest stable"):
        build(tmp_path)


def test_every_correction_points_at_a_node() -> None:
    import yaml

    stored = yaml.safe_load((ROOT / "openapi.yaml").read_text())
    assert stored["x-corrections"], "the corrections are listed"
    for correction in stored["x-corrections"]:
        node = stored
        for part in correction["where"].strip("/").split("/"):
            node = node[part.replace("~1", "/").replace("~0", "~")]
        assert correction["why"].strip()
