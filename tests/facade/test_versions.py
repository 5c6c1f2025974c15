"""Version values: read from the generated registry, served by the right package."""

from __future__ import annotations

import pytest

import intercom_phone_switch
from intercom_phone_switch import LATEST_VERSION, SUPPORTED_VERSIONS, UnsupportedVersion
from intercom_phone_switch._seam import seam_of
from intercom_phone_switch._settings import REGIONS
from intercom_phone_switch._versions import resolve
from intercom_phone_switch.spec import effective
from intercom_phone_switch_generated import registry
from tests.versions import LATEST, NEAR_MISSES


def test_supported_versions_are_the_registrys_header_values() -> None:
    assert tuple(registry.HEADER_VALUES) == SUPPORTED_VERSIONS
    assert LATEST_VERSION == registry.LATEST_VERSION
    assert LATEST_VERSION in SUPPORTED_VERSIONS
    # Intercom's values: 1.0-1.4, 2.0 up to the latest, Preview and its former name Unstable.
    major, minor = (int(part) for part in LATEST.split("."))
    assert major == 2, "a new major series: say here which of its values Intercom accepts"
    expected = (
        [f"1.{n}" for n in range(5)]
        + [f"2.{n}" for n in range(minor + 1)]
        + ["Preview", "Unstable"]
    )
    assert sorted(SUPPORTED_VERSIONS) == sorted(expected)


@pytest.mark.parametrize("value", SUPPORTED_VERSIONS)
def test_each_value_is_served_by_the_registrys_package(value: str) -> None:
    version = resolve(value)
    assert version == registry.HEADER_VALUES[value]
    module = f"intercom_phone_switch_generated.{registry.MODULES[version]}"
    assert seam_of(version).__name__ == f"{module}.seam"  # type: ignore[attr-defined]


def test_versions_without_a_description_are_served_by_the_oldest() -> None:
    oldest = registry.VERSIONS[0]
    undescribed = [v for v in SUPPORTED_VERSIONS if v not in registry.VERSIONS and v != "Unstable"]
    assert undescribed == [f"1.{n}" for n in range(5)] + [f"2.{n}" for n in range(7)]
    assert {resolve(v) for v in undescribed} == {oldest}
    assert resolve("Unstable") == resolve("Preview") == "Preview"


@pytest.mark.parametrize("value", NEAR_MISSES)
def test_other_values_are_unsupported(value: str) -> None:
    with pytest.raises(UnsupportedVersion) as caught:
        resolve(value)
    assert caught.value.version == value
    assert caught.value.supported == SUPPORTED_VERSIONS


@pytest.mark.parametrize("value", [float(LATEST), 2, None])
def test_versions_are_strings(value: object) -> None:
    with pytest.raises(UnsupportedVersion, match="versions are strings"):
        resolve(value)


@pytest.mark.parametrize("version", registry.VERSIONS)
def test_regions_are_the_servers_of_every_effective_spec(version: str) -> None:
    assert list(REGIONS.values()) == effective(version).servers


def test_seams_and_specs_are_loaded_once_per_version() -> None:
    version = registry.VERSIONS[0]
    assert seam_of(version) is seam_of(version)
    assert effective(version) is effective(version)


def test_public_names() -> None:
    assert set(intercom_phone_switch.__all__) <= set(dir(intercom_phone_switch))
    for name in intercom_phone_switch.__all__:
        assert getattr(intercom_phone_switch, name) is not None
    with pytest.raises(AttributeError):
        intercom_phone_switch.NotAName  # noqa: B018
