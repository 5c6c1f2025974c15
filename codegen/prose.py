"""Our prose on a published structure.

Descriptions, titles and summaries in the stored spec are written by us; the published
prose never enters it. :func:`strip` removes prose (and documentation-only extensions)
from an imported document, :func:`graft` copies ours onto it wherever the same JSON
pointer exists in both, and :func:`reorder` lays the keys out in our order.

Examples are data (the error codes a status answers with, the shape of a body): the
published ones stay, without their summaries and descriptions, wherever we have none
of our own; where we have, ours replace them.

Keys are only prose where they are keywords: a property or a component that happens to
be called ``description`` is structure. Values of data keywords (``enum``, ``default``,
``example``...) are never looked into.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Mapping
from typing import Any

#: Keywords whose values are prose (ours in the stored spec, never upstream's), and our
#: declarations that travel with them: ``x-stable-names`` (which JSON property carries
#: each of the facade's stable names) is written by us, never by upstream.
PROSE = frozenset({"description", "summary", "title", "externalDocs", "x-stable-names"})
#: Examples: upstream's stay unless we have our own at the same place.
EXAMPLES = frozenset({"example", "examples"})
#: What :func:`graft` copies from our document.
GRAFTED = PROSE | EXAMPLES
#: Extensions that carry structure; every other ``x-`` key of a description is dropped.
STRUCTURAL_EXTENSIONS = frozenset({"x-aliases"})
#: Keywords whose value maps names (of properties, components, statuses...) to objects.
NAME_MAPS = frozenset(
    {
        "properties",
        "patternProperties",
        "schemas",
        "securitySchemes",
        "responses",
        "parameters",
        "requestBodies",
        "headers",
        "links",
        "callbacks",
        "content",
        "encoding",
        "paths",
        "variables",
        "mapping",
        "definitions",
    }
)
#: Keywords whose values are data, not descriptions of data.
DATA = frozenset(
    {"enum", "default", "const", "example", "examples", "x-aliases", "mapping", "x-stable-names"}
)

Visit = Callable[[dict[str, Any], tuple[str | int, ...]], None]


def _walk(node: Any, location: tuple[str | int, ...], in_name_map: bool, visit: Visit) -> None:
    """Call ``visit`` on every object that is not a name map, with its location."""
    if isinstance(node, list):
        for index, item in enumerate(node):
            _walk(item, (*location, index), False, visit)
        return
    if not isinstance(node, dict):
        return
    if not in_name_map:
        visit(node, location)
    for key, value in list(node.items()):
        if not in_name_map and key in DATA:
            continue
        names = not in_name_map and key in NAME_MAPS and isinstance(value, dict)
        _walk(value, (*location, key), names, visit)


def strip(document: dict[str, Any]) -> None:
    """Remove every prose keyword and documentation extension from ``document``, in place."""

    def visit(node: dict[str, Any], location: tuple[str | int, ...]) -> None:
        for key in list(node):
            if key in PROSE or (key.startswith("x-") and key not in STRUCTURAL_EXTENSIONS):
                del node[key]
        named = node.get("examples")
        if isinstance(named, dict):  # Example objects: their value is data, the rest prose
            for example in named.values():
                if isinstance(example, dict) and "value" in example:
                    for key in [key for key in example if key in PROSE]:
                        del example[key]

    _walk(document, (), False, visit)


def prose_at(document: Mapping[str, Any]) -> dict[tuple[str | int, ...], dict[str, Any]]:
    """Location of each object in ``document`` -> its prose keywords and examples, with
    their values."""
    found: dict[tuple[str | int, ...], dict[str, Any]] = {}

    def visit(node: dict[str, Any], location: tuple[str | int, ...]) -> None:
        prose = {key: node[key] for key in node if key in GRAFTED}
        if prose:
            found[location] = prose

    _walk(document, (), False, visit)
    return found


def _node(document: Any, location: tuple[str | int, ...]) -> Any:
    node = document
    for step in location:
        in_mapping = isinstance(node, dict) and isinstance(step, str) and step in node
        in_list = isinstance(node, list) and isinstance(step, int) and step < len(node)
        if not (in_mapping or in_list):
            return None
        node = node[step]
    return node


def graft(document: dict[str, Any], ours: Mapping[str, Any]) -> None:
    """Copy the prose and examples of ``ours`` onto ``document`` wherever both have the
    same object."""
    for location, prose in prose_at(ours).items():
        target = _node(document, location)
        if isinstance(target, dict):
            for key, value in prose.items():
                target[key] = copy.deepcopy(value)


def reorder(node: Any, template: Any) -> Any:
    """``node`` with its keys in the order of ``template`` (keys it lacks come last)."""
    if isinstance(node, dict):
        shape = template if isinstance(template, dict) else {}
        keys = [key for key in shape if key in node]
        keys += [key for key in node if key not in shape]
        return {key: reorder(node[key], shape.get(key)) for key in keys}
    if isinstance(node, list):
        shape_items = template if isinstance(template, list) else []
        return [
            reorder(item, shape_items[index] if index < len(shape_items) else None)
            for index, item in enumerate(node)
        ]
    return node


#: What a response without our prose is described as: OpenAPI requires a description,
#: and a maintainer may reword it (the next import keeps what is written).
PLACEHOLDER = "Documented by Intercom for this operation; not described here yet."


def _describe(response: dict[str, Any]) -> None:
    """The placeholder as the response's first key, where our descriptions stand."""
    rest = list(response.items())
    response.clear()
    response["description"] = PLACEHOLDER
    response.update(rest)


def describe_responses(document: dict[str, Any]) -> list[str]:
    """Give every response object without a description the placeholder one; return the
    JSON pointers of those it gave one."""
    described: list[str] = []
    for path, item in (document.get("paths") or {}).items():
        for method, operation in (item or {}).items():
            responses = operation.get("responses") if isinstance(operation, dict) else None
            for status, response in (responses or {}).items():
                if isinstance(response, dict) and not {"$ref", "description"} & set(response):
                    _describe(response)
                    escaped = path.replace("~", "~0").replace("/", "~1")
                    described.append(f"/paths/{escaped}/{method}/responses/{status}")
    for name, response in ((document.get("components") or {}).get("responses") or {}).items():
        if isinstance(response, dict) and "description" not in response:
            _describe(response)
            described.append(f"/components/responses/{name}")
    return described
