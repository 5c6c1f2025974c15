"""Cut one operation, and everything it references, out of a full published description.

Intercom publishes one description per version covering its whole REST API (hundreds of
paths and components). The project serves one operation; :func:`extract` keeps that
operation, the servers and security it runs with, and every component it reaches
through ``$ref`` (transitively), and records the references that lead nowhere.
"""

from __future__ import annotations

import contextlib
import copy
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from intercom_phone_switch._documents import check_size
from intercom_phone_switch._pointer import pointer as resolve_pointer
from intercom_phone_switch._pointer import split_pointer

if TYPE_CHECKING:
    import httpx

PATH = "/phone_call_redirects"
METHOD = "post"
OPERATION_ID = "createPhoneSwitch"
COMPONENTS_PREFIX = "#/components/"


class SpecImportError(ValueError):
    """A description cannot be imported as it is."""


def escape(token: str) -> str:
    return token.replace("~", "~0").replace("/", "~1")


def unescape(token: str) -> str:
    return token.replace("~1", "/").replace("~0", "~")


def pointer(*tokens: str | int) -> str:
    return "".join("/" + escape(str(token)) for token in tokens)


def iter_refs(node: Any) -> Iterator[str]:
    """Every ``$ref`` value under ``node``, in document order."""
    if isinstance(node, Mapping):
        for key, value in node.items():
            if key == "$ref" and isinstance(value, str):
                yield value
            else:
                yield from iter_refs(value)
    elif isinstance(node, list):
        for item in node:
            yield from iter_refs(item)


def _security_names(document: Mapping[str, Any]) -> list[str]:
    names: list[str] = []
    operation = document.get("paths", {}).get(PATH, {}).get(METHOD, {})
    requirements = operation.get("security", document.get("security")) or []
    for requirement in requirements:
        for name in requirement:
            if name not in names:
                names.append(name)
    return names


def reachable(document: Mapping[str, Any]) -> tuple[dict[str, list[str]], list[str]]:
    """Components reachable from the paths and security of ``document``.

    Returns ({section: [names in order of discovery]}, [references that lead nowhere]).
    """
    found: dict[str, list[str]] = {}
    dangling: list[str] = []
    seen: set[str] = set()
    pending = list(iter_refs(document.get("paths", {})))
    for name in _security_names(document):
        pending.append(COMPONENTS_PREFIX + "securitySchemes/" + escape(name))
    while pending:
        ref = pending.pop(0)
        if ref in seen:
            continue
        seen.add(ref)
        if not ref.startswith(COMPONENTS_PREFIX):
            raise SpecImportError(f"only local component references are supported: {ref!r}")
        tokens = split_pointer(ref)
        if len(tokens) != 3:
            raise SpecImportError(f"a reference must name one component: {ref!r}")
        target = resolve_pointer(document, ref, None)
        if target is None:
            dangling.append(ref)
            continue
        found.setdefault(tokens[1], []).append(tokens[2])
        pending.extend(iter_refs(target))
    return found, dangling


@dataclass
class Extracted:
    document: dict[str, Any]
    #: References that lead nowhere in the published description.
    dangling: list[str] = field(default_factory=list)


def extract(description: Mapping[str, Any]) -> Extracted:
    """The operation of ``description`` and what it needs, as a new document."""
    path_item = (description.get("paths") or {}).get(PATH)
    if not isinstance(path_item, Mapping) or METHOD not in path_item:
        raise SpecImportError(f"the description has no {METHOD.upper()} {PATH}")
    kept_item: dict[str, Any] = {METHOD: copy.deepcopy(path_item[METHOD])}
    if "parameters" in path_item:
        kept_item["parameters"] = copy.deepcopy(path_item["parameters"])
    document: dict[str, Any] = {}
    for key in ("servers", "security"):
        if key in description:
            document[key] = copy.deepcopy(description[key])
    document["paths"] = {PATH: kept_item}
    document["components"] = copy.deepcopy(dict(description.get("components") or {}))
    dangling = prune(document)
    return Extracted(document, dangling)


def prune(document: dict[str, Any]) -> list[str]:
    """Drop every component nothing reaches; return the references that lead nowhere."""
    found, dangling = reachable(document)
    components = document.get("components") or {}
    kept: dict[str, Any] = {}
    for section, members in components.items():
        if not isinstance(members, Mapping):
            continue
        names = found.get(section, [])
        section_kept = {name: members[name] for name in members if name in names}
        if section_kept:
            kept[section] = section_kept
    if kept:
        document["components"] = kept
    else:
        document.pop("components", None)
    return dangling


def read_source(source: str, *, client: httpx.Client | None = None) -> str:
    """The text at ``source``: an http(s) URL or a file path, refused (DocumentRefused)
    beyond the size every maintainer tool reads."""
    if source.startswith(("http://", "https://")):
        import httpx

        with contextlib.ExitStack() as stack:
            if client is None:
                client = stack.enter_context(httpx.Client(timeout=60.0, follow_redirects=True))
            with client.stream("GET", source) as response:
                response.raise_for_status()
                declared = response.headers.get("content-length", "")
                if declared.isdigit():
                    check_size(int(declared), source)
                received = bytearray()
                for chunk in response.iter_bytes():
                    received += chunk
                    check_size(len(received), source)
                return received.decode(response.encoding or "utf-8")
    path = Path(source)
    check_size(path.stat().st_size, source)
    return path.read_text(encoding="utf-8")
