"""Reading OpenAPI and Overlay documents a person hands to a tool, within bounds.

``diff`` (with file arguments) and the maintainer tools under ``codegen/`` read YAML
written by someone else. YAML can make a small file stand for an enormous document:
aliases of aliases multiply what every later walk of it visits (a 1.3 KB file of nested
aliases takes minutes to compare), and nesting without end exhausts the stack. What a
tool reads here is bounded: at most :data:`MAX_BYTES`, no anchors or aliases (no
published description uses them), at most :data:`MAX_DEPTH` levels of nesting. Anything
else is a :class:`DocumentRefused` naming the file and the reason.

PyYAML is needed for YAML only; JSON is read with the standard library.
"""

from __future__ import annotations

import json
from typing import Any

__all__ = ["MAX_BYTES", "MAX_DEPTH", "DocumentRefused", "check_size", "load_json", "load_yaml"]

#: The largest document read: ten times Intercom's largest published description.
MAX_BYTES = 16 * 1024 * 1024
#: The deepest nesting of mappings and sequences accepted (Intercom's descriptions nest
#: about 20 levels).
MAX_DEPTH = 64


class DocumentRefused(ValueError):
    """A document is too large, too deep, or uses YAML anchors or aliases."""


def check_size(size: int, source: str) -> None:
    """Refuse a document of ``size`` bytes when it is larger than MAX_BYTES."""
    if size > MAX_BYTES:
        raise DocumentRefused(
            f"{source} is {size:,} bytes; documents larger than {MAX_BYTES:,} bytes are refused"
        )


def _loader() -> Any:
    import yaml

    return getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def load_yaml(text: str, source: str = "the document") -> Any:
    """The YAML document ``text`` as plain data, once it is known to be within bounds.

    Raises DocumentRefused (too large, an anchor or alias, nesting deeper than
    MAX_DEPTH) or yaml.YAMLError (not YAML).
    """
    import yaml

    check_size(len(text.encode("utf-8", errors="surrogatepass")), source)
    loader = _loader()
    depth = 0
    # The event stream shows anchors and aliases before anything is built from them.
    for event in yaml.parse(text, Loader=loader):
        if isinstance(event, yaml.AliasEvent) or getattr(event, "anchor", None):
            line = event.start_mark.line + 1 if event.start_mark is not None else "?"
            raise DocumentRefused(
                f"{source}, line {line}: YAML anchors and aliases are refused; write the "
                "repeated part out"
            )
        if isinstance(event, yaml.CollectionStartEvent):
            depth += 1
            if depth > MAX_DEPTH:
                line = event.start_mark.line + 1 if event.start_mark is not None else "?"
                raise DocumentRefused(
                    f"{source}, line {line}: nested more than {MAX_DEPTH} levels deep"
                )
        elif isinstance(event, yaml.CollectionEndEvent):
            depth -= 1
    return yaml.load(text, Loader=loader)


def load_json(text: str, source: str = "the document") -> Any:
    """The JSON document ``text``, once it is known to be within bounds.

    Raises DocumentRefused (too large, nesting deeper than MAX_DEPTH) or ValueError (not
    JSON).
    """
    check_size(len(text.encode("utf-8", errors="surrogatepass")), source)
    try:
        document = json.loads(text)
    except RecursionError:
        document = None
        deep = True
    else:
        deep = _deeper_than(document, MAX_DEPTH)
    if deep:
        raise DocumentRefused(f"{source}: nested more than {MAX_DEPTH} levels deep")
    return document


def _deeper_than(document: Any, limit: int) -> bool:
    pending = [(document, 1)]
    while pending:
        node, depth = pending.pop()
        if isinstance(node, (dict, list)):
            if depth > limit:
                return True
            children = node.values() if isinstance(node, dict) else node
            pending.extend((child, depth + 1) for child in children)
    return False
