"""A version whose request names the phone differently, as a new Intercom-Version may.

``renamed_phone(monkeypatch, version)`` makes every reader of effective specs in this
process see ``version`` with its request's phone property renamed to ``RENAMED`` (and
its ``x-stable-names`` saying so), as if a new version had been generated that way.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Mapping
from typing import Any

import pytest

from intercom_phone_switch import spec

#: The phone's JSON property in the renamed version.
RENAMED = "mobile_number"
PHONE = "phone"


def rename(document: Mapping[str, Any], field: str = RENAMED) -> dict[str, Any]:
    """``document`` with the request's phone property called ``field``."""
    changed = copy.deepcopy(dict(document))
    operation = changed["paths"][spec.PATH][spec.METHOD]
    old = operation["x-stable-names"]["request"][PHONE]
    operation["x-stable-names"]["request"][PHONE] = field
    body = spec.resolve(operation["requestBody"]["content"]["application/json"]["schema"], changed)
    properties = body["properties"]
    body["properties"] = {
        (field if name == old else name): value for name, value in properties.items()
    }
    body["required"] = [field if name == old else name for name in body.get("required", [])]
    return changed


def _patched(
    original: Callable[[str], Any], decide: Callable[[str, Any], Any]
) -> Callable[[str], Any]:
    def read(version: str) -> Any:
        return decide(version, original(version))

    return read


def replace_documents(monkeypatch: pytest.MonkeyPatch, decide: Callable[[str, Any], Any]) -> None:
    """Every effective spec read in this process goes through ``decide(version, doc)``."""
    spec.effective.cache_clear()
    monkeypatch.setattr(spec, "_document", _patched(spec._document, decide))


def renamed_phone(monkeypatch: pytest.MonkeyPatch, version: str) -> None:
    replace_documents(
        monkeypatch, lambda found, document: rename(document) if found == version else document
    )
