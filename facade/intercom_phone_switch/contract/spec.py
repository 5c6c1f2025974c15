"""The effective spec of a supported version, as the contract run reads it.

Everything a contract run knows about the API comes from :func:`intercom_phone_switch.spec.
effective`, the one reader of the effective specs: the document shipped next to each
generated package, the phone's field and pattern (the field through the operation's
``x-stable-names``, so a version that renames it needs no code here), and the error keys
the spec documents for answers that reject a well-formed request. Each version's run
reads that version's contract and no other.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from typing import Any

from intercom_phone_switch import spec
from intercom_phone_switch.spec import METHOD, PATH
from intercom_phone_switch_generated.registry import VERSIONS

__all__ = [
    "PHONE",
    "VERSION_HEADER",
    "UnknownVersion",
    "header_enum",
    "load_document",
    "resolve_version",
    "run_document",
    "without_version_header",
]

VERSION_HEADER = "Intercom-Version"
#: The facade's stable name of the phone; each version maps it to its own JSON property.
PHONE = "phone"


class UnknownVersion(ValueError):
    """Not a version with an effective spec of its own."""


def resolve_version(value: str) -> str:
    """The supported version for a version name or a header alias, as the client
    resolves it (``"Unstable"`` -> ``"Preview"``), when it has a contract of its own:
    numeric header values that share an older version's package (``"2.3"``) are
    refused."""
    from intercom_phone_switch._versions import resolve
    from intercom_phone_switch.errors import UnsupportedVersion

    try:
        version = resolve(value)
    except UnsupportedVersion:
        version = None
    if version is not None and (value == version or not value[:1].isdigit()):
        return version
    choices = ", ".join(VERSIONS)
    raise UnknownVersion(f"{value!r} is not a version with its own contract; choose from {choices}")


def load_document(version: str) -> dict[str, Any]:
    """A fresh copy of the effective spec of ``version`` (callers may change it)."""
    if version not in VERSIONS:
        raise UnknownVersion(f"{version!r} is not a supported version")
    return spec.effective(version).copy()


def run_document(version: str, document: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """What a run of ``version`` generates from: its effective spec without the
    ``Intercom-Version`` parameter (the run pins the header), or ``document`` so changed.

    A private copy: schemathesis reads it, and the run reads the contract from it through
    an ``EffectiveSpec`` of it, nobody changes it.
    """
    base = copy.deepcopy(dict(document)) if document is not None else load_document(version)
    return without_version_header(base)


def _is_version_header(parameter: Mapping[str, Any]) -> bool:
    return parameter.get("in") == "header" and str(parameter.get("name", "")).lower() == (
        VERSION_HEADER.lower()
    )


def without_version_header(document: dict[str, Any]) -> dict[str, Any]:
    """``document`` without the ``Intercom-Version`` parameter, for a run that pins it.

    Only the parameter goes; responses, bodies and components stay as they are.
    """
    post = document["paths"][PATH][METHOD]
    post["parameters"] = [
        parameter
        for parameter in post.get("parameters", [])
        if not _is_version_header(spec.resolve(parameter, document))
    ]
    if not post["parameters"]:
        del post["parameters"]
    return document


def header_enum(document: Mapping[str, Any]) -> list[str]:
    """The ``Intercom-Version`` values the document's parameter lists."""
    for parameter in document["paths"][PATH][METHOD].get("parameters", []):
        parameter = spec.resolve(parameter, document)
        if _is_version_header(parameter):
            schema = spec.resolve(parameter["schema"], document)
            return [str(value) for value in schema.get("enum", [])]
    return []
