"""The stored spec plus one overlay per version: the effective contract of each version.

The supported versions are whatever ``openapi.yaml`` (the newest stable version) and the
files in ``overlays/`` describe; nothing else lists them.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from intercom_phone_switch._documents import load_yaml as load_document

from .overlay import apply_overlay

PREVIEW = "Preview"


class SpecError(ValueError):
    """The stored spec or an overlay is inconsistent."""


def version_key(version: str) -> tuple[int, ...]:
    """Sort key for Intercom-Version values: numeric versions in order, Preview last."""
    if version == PREVIEW:
        return (10**6,)
    try:
        return tuple(int(part) for part in version.split("."))
    except ValueError:
        raise SpecError(f"not an Intercom-Version: {version!r}") from None


def module_name(version: str) -> str:
    """The name of the generated package serving ``version`` ("2.16" -> "v2_16")."""
    return "preview" if version == PREVIEW else "v" + version.replace(".", "_")


def load_yaml(path: Path) -> Any:
    """A YAML file of the project, within the bounds every maintainer tool keeps (size,
    no anchors or aliases, nesting depth)."""
    return load_document(path.read_text(encoding="utf-8"), path.name)


@dataclass(frozen=True)
class EffectiveSpec:
    version: str
    document: dict[str, Any]
    overlay: Path | None  # None for the stored spec's own version

    @property
    def module(self) -> str:
        return module_name(self.version)

    @property
    def header_values(self) -> list[str]:
        """The Intercom-Version values this version's description lists."""
        return list(self.document["components"]["schemas"]["intercom_version"]["enum"])

    @property
    def aliases(self) -> dict[str, str]:
        schema = self.document["components"]["schemas"]["intercom_version"]
        return dict(schema.get("x-aliases") or {})


def build(root: Path, skip: str | None = None) -> list[EffectiveSpec]:
    """Every supported version's effective spec, oldest first, Preview last.

    ``skip`` names a version whose overlay file is left out (the importer reads the
    overlay of the version it imports on its own: before the first import of a new
    version, that file may hold nothing but a declaration of its stable names).
    """
    stored = load_yaml(root / "openapi.yaml")
    specs = [EffectiveSpec(str(stored["info"]["version"]), stored, None)]
    for path in sorted((root / "overlays").glob("*.yaml")):
        if path.stem == skip:
            continue
        document = apply_overlay(stored, load_yaml(path))
        version = str(document["info"]["version"])
        if version != path.stem:
            raise SpecError(f"{path.name} describes version {version!r}; name it {version}.yaml")
        specs.append(EffectiveSpec(version, document, path))
    specs.sort(key=lambda spec: version_key(spec.version))
    _check(specs, str(stored["info"]["version"]))
    return specs


def _check(specs: Iterable[EffectiveSpec], stored_version: str) -> None:
    versions = [spec.version for spec in specs]
    if len(set(versions)) != len(versions):
        raise SpecError(f"two documents describe the same version: {versions}")
    stable = [v for v in versions if v != PREVIEW]
    if stable and stable[-1] != stored_version:
        raise SpecError(
            f"openapi.yaml describes {stored_version} but {stable[-1]} is newer; "
            "the stored spec must be the newest stable version"
        )


def header_mapping(specs: list[EffectiveSpec]) -> dict[str, str]:
    """Every Intercom-Version value Intercom accepts -> the supported version serving it.

    A supported version serves itself. An alias serves its target. Values older than the
    oldest published description have no description of their own and are served by the
    oldest one, which sends the requested header unchanged.
    """
    supported = {spec.version for spec in specs}
    oldest = min((v for v in supported if v != PREVIEW), key=version_key)
    mapping: dict[str, str] = {}
    for spec in specs:
        for value in spec.header_values:
            if value in supported:
                mapping[value] = value
            elif version_key(value) < version_key(oldest):
                mapping[value] = oldest
        for alias, target in spec.aliases.items():
            if target in supported:
                mapping[alias] = target

    def order(item: tuple[str, str]) -> tuple[tuple[int, ...], bool, tuple[int, ...], str]:
        value, target = item
        is_alias = value in spec_aliases
        return (version_key(target), is_alias, () if is_alias else version_key(value), value)

    spec_aliases = {alias for spec in specs for alias in spec.aliases}
    return dict(sorted(mapping.items(), key=order))
