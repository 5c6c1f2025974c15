"""JSON pointers and local ``$ref`` in OpenAPI documents: the one implementation that the
runtime (effective specs, the version diff) and the maintainer tools (codegen/) share."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

__all__ = ["HTTP_METHODS", "pointer", "resolve", "split_pointer"]

#: The keys of an OpenAPI path item that are operations.
HTTP_METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")


def split_pointer(text: str) -> list[str]:
    """The unescaped tokens of a JSON pointer (``"#/a/b"`` or ``"/a/b"``)."""
    text = text.removeprefix("#")
    if not text:
        return []
    if not text.startswith("/"):
        raise ValueError(f"not a JSON pointer: {text!r}")
    return [token.replace("~1", "/").replace("~0", "~") for token in text[1:].split("/")]


_MISSING: Any = object()
#: More hops than any real document has: a longer chain is a cycle.
_MAX_HOPS = 64


def pointer(document: Any, text: str, default: Any = _MISSING) -> Any:
    """The node at JSON pointer ``text`` (``"#/a/b"`` or ``"/a/b"``) in ``document``;
    ``default`` (or KeyError) where there is none."""
    node = document
    for token in split_pointer(text):
        if isinstance(node, Mapping) and token in node:
            node = node[token]
        elif isinstance(node, list) and token.isdigit() and int(token) < len(node):
            node = node[int(token)]
        elif default is not _MISSING:
            return default
        else:
            raise KeyError(text)
    return node


def resolve(node: Any, spec: Mapping[str, Any], default: Any = _MISSING) -> Any:
    """``node`` with its local ``$ref`` followed until there is none (``default``, or
    KeyError, for a reference leading nowhere; ValueError for a cycle)."""
    for _ in range(_MAX_HOPS):
        if not (isinstance(node, Mapping) and isinstance(node.get("$ref"), str)):
            return node
        ref = node["$ref"]
        if not ref.startswith("#"):
            raise ValueError(f"only local references are supported, not {ref!r}")
        node = pointer(spec, ref, default)
    raise ValueError("a $ref cycle without a schema")
