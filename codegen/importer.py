"""Import one of Intercom's published descriptions as a supported version.

``import(published V)`` is:

1. :func:`.extract.extract`: keep ``POST /phone_call_redirects`` and every component it
   reaches, noting references that lead nowhere;
2. :func:`.corrections.apply_rules`: our standard corrections, each applied only when
   its condition holds (ids as in ``x-corrections`` of ``openapi.yaml``);
3. :func:`.prose.strip` then :func:`.prose.graft`: the published prose goes, ours (from
   V's current effective spec, or the stored spec for a new version) comes in, and the
   document takes our frame (``openapi``, ``info``, ``x-corrections``) and key order;
4. the output: when V is the stored spec's version, or a stable version newer than it,
   V becomes ``openapi.yaml`` and every other version's overlay is written again against
   it (their effective specs do not change); otherwise ``overlays/V.yaml`` is written as
   the difference between ``openapi.yaml`` and V (see :mod:`.overlay_writer`).

Everything is computed before anything is written, and the texts depend only on the
inputs: importing the same description twice writes the same bytes.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from . import corrections
from .effective import PREVIEW, SpecError, build, version_key
from .emit import EmitError, dump, load, top_level_comments
from .extract import SpecImportError, extract, prune, read_source
from .overlay_writer import overlay_text
from .prose import graft, reorder, strip

STORED = "openapi.yaml"
OVERLAYS = "overlays"
#: The published ``info.version`` Intercom may use for Preview.
PREVIEW_NAMES = frozenset({PREVIEW, "0"})

__all__ = [
    "ImportResult",
    "SpecImportError",
    "convert",
    "load_description",
    "plan_import",
    "plan_normalize",
    "write",
]


@dataclass
class ImportResult:
    """What importing one description means for the project, before anything is written."""

    version: str
    #: The version's effective spec, as imported.
    document: dict[str, Any]
    #: Relative path -> the full text the import gives that file.
    files: dict[str, str]
    #: Relative paths the import deletes (the overlay of a version that became the stored one).
    obsolete: list[str] = field(default_factory=list)
    #: Ids of the correction rules whose condition held.
    fired: list[str] = field(default_factory=list)
    #: References the published description makes without defining their target.
    dangling: list[str] = field(default_factory=list)
    #: True when the version is (now) the one openapi.yaml describes.
    stored: bool = False
    #: The version openapi.yaml described before the import.
    previous_stored: str = ""

    @property
    def not_fired(self) -> list[str]:
        return [rule_id for rule_id in corrections.rule_ids() if rule_id not in self.fired]

    @property
    def promoted(self) -> bool:
        """True when the import makes a newer version the stored one."""
        return self.stored and self.version != self.previous_stored

    def changes(self, root: Path) -> list[str]:
        """The relative paths whose content the import changes, creates or deletes."""
        changed = [
            name
            for name, text in self.files.items()
            if not (root / name).is_file() or (root / name).read_text(encoding="utf-8") != text
        ]
        changed += [name for name in self.obsolete if (root / name).exists()]
        return sorted(changed)


def load_description(source: str) -> dict[str, Any]:
    """A published description from a file path or an http(s) URL."""
    document = load(read_source(source))
    if not isinstance(document, dict) or "paths" not in document:
        raise SpecImportError(f"{source} is not an OpenAPI description")
    return document


def _check_version(version: str, description: Mapping[str, Any]) -> None:
    try:
        version_key(version)
    except SpecError as exc:
        raise SpecImportError(str(exc)) from None
    published = str((description.get("info") or {}).get("version", ""))
    if published == version or (version == PREVIEW and published in PREVIEW_NAMES):
        return
    raise SpecImportError(f"the description is for version {published!r}, not {version!r}")


def _stamp(document: dict[str, Any], version: str) -> None:
    """The header example names the version the document describes."""
    schema = corrections.schema(document, "intercom_version")
    if schema is not None and "enum" in schema:
        schema["example"] = version


def convert(
    description: Mapping[str, Any],
    version: str,
    ours: Mapping[str, Any],
    frame: Mapping[str, Any],
) -> tuple[dict[str, Any], list[str], list[str]]:
    """Published ``description`` of ``version`` -> (our document, rules fired, dangling refs).

    ``ours`` gives the prose and key order, ``frame`` the ``openapi`` version, ``info``
    and our top-level extensions (``x-corrections``).
    """
    _check_version(version, description)
    extracted = extract(description)
    document = extracted.document
    fired = corrections.apply_rules(document)
    strip(document)
    unresolved = prune(document)
    if unresolved:
        raise SpecImportError(
            "references lead nowhere after the corrections: "
            + ", ".join(unresolved)
            + "; add a correction rule for them"
        )
    graft(document, ours)
    framed: dict[str, Any] = {"openapi": frame["openapi"]}
    framed["info"] = {**copy.deepcopy(dict(frame["info"])), "version": version}
    framed.update(document)
    for key, value in frame.items():
        if key.startswith("x-"):
            framed[key] = copy.deepcopy(value)
    _stamp(framed, version)
    result: dict[str, Any] = reorder(framed, ours)
    return result, fired, extracted.dangling


def _read_yaml(path: Path) -> Any:
    return load(path.read_text(encoding="utf-8")) if path.is_file() else None


def plan_import(root: Path, version: str, description: Mapping[str, Any]) -> ImportResult:
    """Everything importing ``description`` as ``version`` would write under ``root``."""
    stored_text = (root / STORED).read_text(encoding="utf-8")
    stored = load(stored_text)
    stored_version = str(stored["info"]["version"])
    current = {spec.version: spec for spec in build(root)}
    ours = current[version].document if version in current else stored
    document, fired, dangling = convert(description, version, ours, stored)
    becomes_stored = version == stored_version or (
        version != PREVIEW and version_key(version) > version_key(stored_version)
    )
    result = ImportResult(
        version=version,
        document=document,
        files={},
        fired=fired,
        dangling=dangling,
        stored=becomes_stored,
        previous_stored=stored_version,
    )
    try:
        if becomes_stored:
            result.files[STORED] = dump(document, top_level_comments(stored_text))
            for other, spec in current.items():
                if other == version:
                    continue
                name = f"{OVERLAYS}/{other}.yaml"
                previous = _read_yaml(root / name)
                result.files[name] = overlay_text(document, spec.document, other, previous)
            if (root / OVERLAYS / f"{version}.yaml").exists():
                result.obsolete.append(f"{OVERLAYS}/{version}.yaml")
        else:
            name = f"{OVERLAYS}/{version}.yaml"
            previous = _read_yaml(root / name)
            result.files[name] = overlay_text(stored, document, version, previous)
    except EmitError as exc:
        raise SpecImportError(f"cannot write {version}: {exc}") from exc
    return result


def plan_normalize(root: Path) -> dict[str, str]:
    """``openapi.yaml`` and every overlay as the importer writes them, contracts unchanged.

    For hand edits (prose, say): the files are written again from the stored spec and
    each version's current effective spec, so that the next import finds them as it
    would write them.
    """
    stored_text = (root / STORED).read_text(encoding="utf-8")
    stored = load(stored_text)
    files = {STORED: dump(stored, top_level_comments(stored_text))}
    for spec in build(root):
        if spec.overlay is None:
            continue
        name = f"{OVERLAYS}/{spec.version}.yaml"
        previous = _read_yaml(root / name)
        files[name] = overlay_text(stored, spec.document, spec.version, previous)
    return files


def write(root: Path, result: ImportResult) -> list[str]:
    """Write the files of ``result`` under ``root``; return the relative paths changed."""
    changed = result.changes(root)
    for name, text in result.files.items():
        if name in changed:
            target = root / name
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(text, encoding="utf-8")
    for name in result.obsolete:
        (root / name).unlink(missing_ok=True)
    return changed
