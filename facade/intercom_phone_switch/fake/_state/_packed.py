"""Custom attributes kept as compact UTF-8 JSON: a few bytes per value instead of the
tens a Python object takes, and a size that can be counted exactly."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

#: What one kept entry (its record object, strings, timestamp and container slot)
#: costs besides its attributes' bytes; counted against the byte budgets.
ENTRY_OVERHEAD = 1024


#: Made once: json.dumps with options makes a new encoder on every call.
_COMPACT = json.JSONEncoder(separators=(",", ":"), ensure_ascii=False)
_COMPACT_ASCII = json.JSONEncoder(separators=(",", ":"))


def pack(attributes: Mapping[str, Any]) -> bytes:
    """``attributes`` as compact JSON in UTF-8, always valid: text UTF-8 cannot carry
    (lone surrogates, which only the Python API can pass; the endpoint refuses them) is
    written as ASCII escapes instead."""
    value = attributes if type(attributes) is dict else dict(attributes)
    try:
        return _COMPACT.encode(value).encode("utf-8")
    except UnicodeEncodeError:
        return _COMPACT_ASCII.encode(value).encode("ascii")


def unpack(packed: bytes) -> dict[str, Any]:
    value: dict[str, Any] = json.loads(packed)
    return value


def with_attributes(fields: Mapping[str, Any], packed: bytes) -> bytes:
    """The JSON object of ``fields`` plus ``"custom_attributes"``, spliced in packed."""
    head = json.dumps(dict(fields), separators=(",", ":"), ensure_ascii=False)
    return head[:-1].encode("utf-8", "backslashreplace") + b',"custom_attributes":' + packed + b"}"
