"""Import one of Intercom's published descriptions as a supported version.

``import(published V)`` is:

1. :func:`.extract.extract`: keep ``POST /phone_call_redirects`` and every component it
   reaches, noting references that lead nowhere;
2. :func:`.corrections.apply_rules`: our standard corrections, each applied only when
   its condition holds (ids as in ``x-corrections`` of ``openapi.yaml``);
3. :func:`.prose.strip` then :func:`.prose.graft`: the published prose goes, ours (from
   V's current effective spec, or the stored spec for a new version) comes in, a response
   without prose gets a placeholder description (OpenAPI requires one), published
   examples stay where we have none, and the document takes our frame (``openapi``,
   ``info``, ``x-corrections``) and key order;
4. the stable names: V's ``x-stable-names`` (ours, as the stored spec or V's overlay
   declares them) must all resolve in V, and the E.164 correction must apply to its phone
   field (see :mod:`.stable`); otherwise the import stops and says what to declare;
5. the output: when V is the stored spec's version, or a stable version newer than it,
   V becomes ``openapi.yaml`` and every other version's overlay is written again against
   it (their effective specs do not change); otherwise ``overlays/V.yaml`` is written as
   the difference between ``openapi.yaml`` and V (see :mod:`.overlay_writer`).

"Ours" for V is the stored spec with V's overlay applied, when there is one: a new
version's overlay may hold nothing but a declaration of its stable names, written before
the first import.

Everything is computed before anything is written, and the texts depend only on the
inputs: importing the same description twice writes the same bytes.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from intercom_phone_switch._documents import load_yaml

from . import corrections, stable
from .effective import PREVIEW, SpecError, build, version_key
from .emit import EmitError, dump, top_level_comments
from .extract import METHOD, PATH, SpecImportError, extract, prune, read_source
from .overlay import OverlayError, apply_overlay
from .overlay_writer import overlay_text, path
from .prose import describe_responses, graft, reorder, strip

STORED = "openapi.yaml"
OVERLAYS = "overlays"
#: The published ``info.version`` Intercom may use for Preview.
PREVIEW_NAMES = frozenset({PREVIEW, "0"})

__all__ = [
    "ImportResult",
    "SpecImportError",
    "StableNamesMissing",
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
    #: The version's effective spec before the import (None: a new version).
    previous_document: dict[str, Any] | None = None
    #: The stored spec before the import.
    previous_stored_document: dict[str, Any] = field(default_factory=dict)
    #: JSON pointers of the responses given the placeholder description.
    described: list[str] = field(default_factory=list)

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


class StableNamesMissing(SpecImportError):
    """The facade's stable names do not all resolve in the imported version."""


def load_description(source: str) -> dict[str, Any]:
    """A published description from a file path or an http(s) URL, within the bounds of
    :mod:`intercom_phone_switch._documents` (size, no YAML aliases, nesting)."""
    document = load_yaml(read_source(source), source)
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


@dataclass
class Converted:
    document: dict[str, Any]
    #: Ids of the correction rules whose condition held.
    fired: list[str]
    #: References the published description makes without defining their target.
    dangling: list[str]
    #: JSON pointers of the responses given the placeholder description.
    described: list[str]


def _declare(document: dict[str, Any], ours: Mapping[str, Any]) -> None:
    """Our x-stable-names on the extracted operation, so that the corrections find the
    fields by what carries them (the e164-phone rule, on the phone field)."""
    declared = stable.declaration(ours)
    if declared:
        document["paths"][PATH][METHOD][stable.KEY] = copy.deepcopy(dict(declared))


def convert(
    description: Mapping[str, Any],
    version: str,
    ours: Mapping[str, Any],
    frame: Mapping[str, Any],
) -> Converted:
    """Published ``description`` of ``version`` -> our document, and what was done to it.

    ``ours`` gives the prose, examples, stable names and key order, ``frame`` the
    ``openapi`` version, ``info`` and our top-level extensions (``x-corrections``). What
    ``ours`` says of a field whose stable name its declaration moves to another property
    goes with it (see :func:`.stable.follow_declaration`).
    """
    _check_version(version, description)
    extracted = extract(description)
    document = extracted.document
    _declare(document, ours)
    fired = corrections.apply_rules(document)
    strip(document)
    unresolved = prune(document)
    if unresolved:
        raise SpecImportError(
            "references lead nowhere after the corrections: "
            + ", ".join(unresolved)
            + "; add a correction rule for them"
        )
    ours = stable.follow_declaration(ours, frame)
    graft(document, ours)
    described = describe_responses(document)
    framed: dict[str, Any] = {"openapi": frame["openapi"]}
    framed["info"] = {**copy.deepcopy(dict(frame["info"])), "version": version}
    framed.update(document)
    for key, value in frame.items():
        if key.startswith("x-"):
            framed[key] = copy.deepcopy(value)
    _stamp(framed, version)
    result: dict[str, Any] = reorder(framed, ours)
    return Converted(result, fired, extracted.dangling, described)


def _read_yaml(file: Path) -> Any:
    if not file.is_file():
        return None
    return load_yaml(file.read_text(encoding="utf-8"), file.name)


def _ours(root: Path, version: str, stored: dict[str, Any]) -> dict[str, Any] | None:
    """``version``'s document before the import, as the stored spec and its overlay
    (when it has one) say: None for a version with neither."""
    document = stored if version == str(stored["info"]["version"]) else None
    overlay = _read_yaml(root / OVERLAYS / f"{version}.yaml")
    if overlay is None:
        return document
    try:
        return apply_overlay(stored, overlay)
    except OverlayError as exc:
        raise SpecImportError(f"{OVERLAYS}/{version}.yaml: {exc}") from None


def plan_import(root: Path, version: str, description: Mapping[str, Any]) -> ImportResult:
    """Everything importing ``description`` as ``version`` would write under ``root``.

    Raises StableNamesMissing, saying what to declare, when the facade's stable names do
    not all resolve in the imported version.
    """
    stored_text = (root / STORED).read_text(encoding="utf-8")
    stored = load_yaml(stored_text, STORED)
    stored_version = str(stored["info"]["version"])
    current = {spec.version: spec for spec in build(root, skip=version)}
    before = _ours(root, version, stored)
    converted = convert(description, version, before if before is not None else stored, stored)
    document = converted.document
    becomes_stored = version == stored_version or (
        version != PREVIEW and version_key(version) > version_key(stored_version)
    )
    try:
        stable.resolve(document)
    except stable.StableNameError as exc:
        raise StableNamesMissing(_what_to_declare(root, version, exc)) from None
    previous_document = None
    if before is not None and str((before.get("info") or {}).get("version")) == version:
        previous_document = before
    result = ImportResult(
        version=version,
        document=document,
        files={},
        fired=converted.fired,
        dangling=converted.dangling,
        stored=becomes_stored,
        previous_stored=stored_version,
        previous_document=previous_document,
        previous_stored_document=stored,
        described=converted.described,
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


def _what_to_declare(root: Path, version: str, error: stable.StableNameError) -> str:
    """The import's refusal: what does not resolve, and the overlay action to write."""
    overlay = f"{OVERLAYS}/{version}.yaml"
    lines = [f"cannot import {version}; nothing was written.", str(error)]
    updates: dict[str, dict[str, Any]] = {}
    others: list[str] = []
    for problem in error.problems:
        if problem.side in ("request", "response") and problem.stable and problem.candidates:
            guess = problem.candidates[0] if len(problem.candidates) == 1 else "PROPERTY"
            updates.setdefault(problem.side, {})[problem.stable] = guess
        elif problem.side in ("request", "response") and problem.stable == "phone":
            updates.setdefault(problem.side, {})[problem.stable] = "PROPERTY"
        else:
            others.append(problem.where)
    if others:
        lines.append(
            f"No declaration fixes {', '.join(others)}: that needs a correction rule "
            "(codegen/corrections.py, for a fault in Intercom's description) or a change "
            "to the facade (a new stable name)."
        )
    if not updates:
        return "\n".join(lines)
    base = ("paths", PATH, METHOD, stable.KEY)
    actions = [
        {
            "target": path((*base, side)),
            "description": f"In {version}, which properties carry the stable {side} names.",
            "update": names,
        }
        for side, names in updates.items()
    ]
    if (root / overlay).is_file():
        lines.append(f"Declare which property carries each of them: add to {overlay}")
        snippet = dump({"actions": actions}, unfolded={"target"})
    else:
        lines.append(f"Declare which property carries each of them: write {overlay}")
        snippet = dump(
            {
                "overlay": "1.0.0",
                "info": {"title": f"Intercom-Version {version}", "version": "1.0.0"},
                "extends": "../openapi.yaml",
                "actions": actions,
            },
            unfolded={"target"},
        )
    lines.append("")
    lines.extend("    " + line for line in snippet.rstrip("\n").splitlines())
    lines.append("")
    if "PROPERTY" in snippet:
        lines.append(
            "PROPERTY: the property of this version that carries the value (for the "
            "answer's phone, null when the version never sends it)."
        )
    lines.append("Then run the same import again.")
    return "\n".join(lines)


def plan_normalize(root: Path) -> dict[str, str]:
    """``openapi.yaml`` and every overlay as the importer writes them, contracts unchanged.

    For hand edits (prose, say): the files are written again from the stored spec and
    each version's current effective spec, so that the next import finds them as it
    would write them.
    """
    stored_text = (root / STORED).read_text(encoding="utf-8")
    stored = load_yaml(stored_text, STORED)
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
