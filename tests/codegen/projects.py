"""Shared by the maintainer tools' tests: copies of the project, and descriptions of a
version after the newest one, made from our own fixtures (never Intercom's files).

Imported by the tests of this folder as ``projects`` (pytest puts the folder on the path)."""

from __future__ import annotations

import hashlib
import shutil
from pathlib import Path
from typing import Any

from codegen.effective import PREVIEW, build, version_key
from codegen.emit import dump
from intercom_phone_switch._documents import load_yaml
from tests.versions import NEXT

ROOT = Path(__file__).resolve().parents[2]
FIXTURES = Path(__file__).resolve().parent / "fixtures"
#: A plausible next version, made from our fixture of the stored version: a new optional
#: answer field, a widened custom attribute value type, a newly documented error list.
ADDITIVE = FIXTURES / "next" / "additive.yaml"
#: The same, with the request's phone renamed to phone_number.
RENAMED = FIXTURES / "next" / "renamed.yaml"
#: A next version the facade cannot send: a new required request field, no phone answered.
CHANGED = FIXTURES / "changed" / "2.17.yaml"
PROJECT_INPUTS = ("openapi.yaml", "overlays", "generator-config.yml")


def copy_project(target: Path, with_generated: bool = False) -> Path:
    """The project's inputs (and generated/) in ``target``: imports run there, never in
    the checkout."""
    names = (*PROJECT_INPUTS, "generated") if with_generated else PROJECT_INPUTS
    target.mkdir(parents=True, exist_ok=True)
    for name in names:
        source = ROOT / name
        if source.is_dir():
            shutil.copytree(source, target / name, ignore=shutil.ignore_patterns("__pycache__"))
        else:
            shutil.copy2(source, target / name)
    return target


def snapshot(root: Path) -> dict[str, str]:
    """Every file under ``root`` (caches aside) -> a digest of its bytes."""
    return {
        path.relative_to(root).as_posix(): hashlib.sha256(path.read_bytes()).hexdigest()
        for path in sorted(root.rglob("*"))
        if path.is_file() and "__pycache__" not in path.parts
    }


def next_version() -> str:
    """The version after the newest stable one the registry knows (accepted by none)."""
    return NEXT


def as_version(document: dict[str, Any], version: str, keep_enum: bool = False) -> dict[str, Any]:
    """A fixture description made to describe ``version``: its info.version, and as
    header values those the stored spec lists followed by ``version`` (the default);
    with ``keep_enum``, the fixture's own values with its version replaced."""
    placeholder = str(document["info"]["version"])
    document["info"]["version"] = version
    schema = document["components"]["schemas"]["intercom_version"]
    if keep_enum:
        values = [version if v == placeholder else v for v in schema["enum"]]
    else:
        (stored,) = [spec for spec in build(ROOT) if spec.overlay is None]
        values = [v for v in stored.header_values if v != version]
        if version == PREVIEW or not values or version_key(version) > version_key(values[-1]):
            values.append(version)
    schema["enum"] = values
    schema["default"] = schema["example"] = version
    return document


def next_description(fixture: Path, folder: Path) -> Path:
    """``fixture`` made to describe the next version, written into ``folder``."""
    keep = fixture == CHANGED
    document = as_version(load_yaml(fixture.read_text()), next_version(), keep_enum=keep)
    target = folder / f"{fixture.stem}-{next_version()}.yaml"
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(dump(document))
    return target


def declaration_in(stopped: str) -> str:
    """The overlay an import's stop message tells the maintainer to write, as written
    there (indented under the message): the declaration of the stable names."""
    lines = stopped.splitlines()
    start = lines.index("    overlay: 1.0.0")
    end = lines.index("", start)
    return "\n".join(line[4:] for line in lines[start:end]) + "\n"


def stored_document() -> dict[str, Any]:
    """The stored spec as it is now (the newest stable version)."""
    (stored,) = [spec for spec in build(ROOT) if spec.overlay is None]
    return stored.document


def additions(document: dict[str, Any]) -> dict[str, bool]:
    """Which of the additive fixture's changes ``document`` lacks (so that importing the
    fixture adds them): the 409 answer, conversation_id, array-of-string values."""
    operation = document["paths"]["/phone_call_redirects"]["post"]
    schemas = document["components"]["schemas"]
    values = schemas["custom_attributes"]["additionalProperties"]["anyOf"]
    return {
        "409": "409" not in operation["responses"],
        "conversation_id": "conversation_id" not in schemas["phone_switch"]["properties"],
        "array": {"type": "array", "items": {"type": "string"}} not in values,
    }
