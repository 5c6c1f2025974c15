"""Write YAML documents in one canonical, diff-friendly text form.

The stored spec and the overlays are written by the importer, so their text must depend
on their content alone: two runs over the same input give the same bytes. The form is
block style with two-space indentation, sequences indented under their key, strings
plain where YAML reads them back unchanged and double-quoted otherwise, and long prose
folded (``>-``) at :data:`WIDTH` columns. Every document written is read back and
compared with what was meant, so a quoting mistake fails loudly instead of changing data.
"""

from __future__ import annotations

import functools
import json
import re
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import yaml

WIDTH = 90

_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class EmitError(ValueError):
    """A value cannot be written so that it reads back unchanged."""


def load(text: str) -> Any:
    return yaml.load(text, Loader=_LOADER)


def same(a: Any, b: Any) -> bool:
    """Equality that tells ``True`` from ``1`` and ``1`` from ``1.0``."""
    if type(a) is not type(b):
        return False
    if isinstance(a, dict):
        return a.keys() == b.keys() and all(same(a[k], b[k]) for k in a)
    if isinstance(a, list):
        return len(a) == len(b) and all(same(x, y) for x, y in zip(a, b, strict=True))
    return bool(a == b)


@functools.lru_cache(maxsize=4096)
def _plain_ok(text: str) -> bool:
    if not text or text != text.strip() or "\n" in text:
        return False
    try:
        return bool(load(f"k: {text}\n") == {"k": text} and load(f"- {text}\n") == [text])
    except yaml.YAMLError:
        return False


@functools.lru_cache(maxsize=4096)
def _key_ok(text: str) -> bool:
    if not text or text != text.strip() or "\n" in text:
        return False
    try:
        return bool(load(f"{text}: x\n") == {text: "x"})
    except yaml.YAMLError:
        return False


def _quoted(text: str) -> str:
    return json.dumps(text, ensure_ascii=False)


def _key(key: Any) -> str:
    if isinstance(key, str):
        return key if _key_ok(key) else _quoted(key)
    if isinstance(key, bool) or not isinstance(key, int):
        raise EmitError(f"unsupported mapping key: {key!r}")
    return str(key)


def _scalar(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        text = repr(value)
        if text in ("inf", "-inf", "nan"):
            return {"inf": ".inf", "-inf": "-.inf", "nan": ".nan"}[text]
        return text
    if isinstance(value, str):
        return value if _plain_ok(value) else _quoted(value)
    raise EmitError(f"unsupported value: {value!r}")


_FOLDABLE = re.compile(r"^[^\s](?:[^\s]| (?! ))*[^\s]$")


def _folded(text: str, indent: int) -> list[str] | None:
    """``text`` as the lines of a folded block at ``indent``, or None when it cannot be."""
    if " " not in text or not _FOLDABLE.match(text) or "\t" in text:
        return None
    room = max(WIDTH - indent, 20)
    lines: list[str] = []
    current = ""
    for word in text.split(" "):
        if current and len(current) + 1 + len(word) > room:
            lines.append(current)
            current = word
        else:
            current = f"{current} {word}" if current else word
    lines.append(current)
    block = [" " * indent + line for line in lines]
    try:
        if load("k: >-\n" + "\n".join(block) + "\n") != {"k": text}:
            return None
    except yaml.YAMLError:
        return None
    return block


def _literal(text: str, indent: int) -> tuple[str, list[str]] | None:
    """``text`` (several lines) as a literal block at ``indent``, or None."""
    if text.endswith("\n\n") or text.startswith((" ", "\n")) or "\r" in text or "\t" in text:
        return None
    body = text[:-1] if text.endswith("\n") else text
    if any(line != line.rstrip() for line in body.split("\n")):
        return None
    header = "|" if text.endswith("\n") else "|-"
    block = [" " * indent + line if line else "" for line in body.split("\n")]
    try:
        if load(f"k: {header}\n" + "\n".join(block) + "\n") != {"k": text}:
            return None
    except yaml.YAMLError:
        return None
    return header, block


def _string_lines(prefix: str, text: str, indent: int, fold: bool = True) -> list[str]:
    """``prefix`` ("key:" or "-") followed by the string, on one line or as a block."""
    if "\n" in text and fold:
        literal = _literal(text, indent + 2)
        if literal is not None:
            return [f"{prefix} {literal[0]}", *literal[1]]
        return [f"{prefix} {_quoted(text)}"]
    inline = f"{prefix} {_scalar(text)}"
    if len(inline) <= WIDTH or not fold:
        return [inline]
    folded = _folded(text, indent + 2)
    if folded is None:
        return [inline]
    return [f"{prefix} >-", *folded]


class _Emitter:
    def __init__(self, unfolded: frozenset[str]) -> None:
        self.unfolded = unfolded

    def value(self, prefix: str, value: Any, indent: int, fold: bool = True) -> list[str]:
        """The lines of ``prefix`` (already indented) followed by ``value``."""
        if isinstance(value, Mapping):
            if not value:
                return [f"{prefix} {{}}"]
            return [prefix, *self.mapping(value, indent + 2)]
        if isinstance(value, list):
            if not value:
                return [f"{prefix} []"]
            return [prefix, *self.sequence(value, indent + 2)]
        if isinstance(value, str):
            return _string_lines(prefix, value, indent, fold)
        return [f"{prefix} {_scalar(value)}"]

    def mapping(self, mapping: Mapping[Any, Any], indent: int) -> list[str]:
        lines: list[str] = []
        pad = " " * indent
        for key, value in mapping.items():
            fold = key not in self.unfolded
            lines.extend(self.value(f"{pad}{_key(key)}:", value, indent, fold))
        return lines

    def sequence(self, items: Sequence[Any], indent: int) -> list[str]:
        lines: list[str] = []
        pad = " " * indent
        for item in items:
            if isinstance(item, (Mapping, list)) and item:
                if isinstance(item, Mapping):
                    nested = self.mapping(item, indent + 2)
                else:
                    nested = self.sequence(item, indent + 2)
                lines.append(f"{pad}- {nested[0][indent + 2 :]}")
                lines.extend(nested[1:])
            else:
                lines.extend(self.value(f"{pad}-", item, indent))
        return lines


def dump(
    document: Mapping[str, Any],
    comments: Mapping[str, Sequence[str]] | None = None,
    unfolded: Iterable[str] = (),
) -> str:
    """``document`` as canonical YAML text.

    ``comments`` maps a top-level key to the comment lines (each starting with ``#``)
    written just before it; a blank line separates them from what precedes them. String
    values of the keys in ``unfolded`` stay on one line however long they are.
    """
    comments = comments or {}
    emitter = _Emitter(frozenset(unfolded))
    lines: list[str] = []
    for key, value in document.items():
        block = list(comments.get(key, ()))
        if block:
            if lines:
                lines.append("")
            lines.extend(block)
        lines.extend(emitter.value(f"{_key(key)}:", value, 0, key not in emitter.unfolded))
    text = "\n".join(lines) + "\n"
    if not same(load(text), _plain(document)):
        raise EmitError("the written YAML does not read back as the document")
    return text


def _plain(value: Any) -> Any:
    """Mappings and sequences of any kind as dicts and lists, for comparison."""
    if isinstance(value, Mapping):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    return value


_TOP_KEY = re.compile(r"^(?P<key>[A-Za-z_][\w.-]*):")


def top_level_comments(text: str) -> dict[str, list[str]]:
    """The comment lines found directly before each top-level key of YAML ``text``."""
    found: dict[str, list[str]] = {}
    pending: list[str] = []
    for line in text.splitlines():
        if line.startswith("#"):
            pending.append(line.rstrip())
        elif not line.strip():
            continue
        else:
            match = _TOP_KEY.match(line)
            if match and pending:
                found[match["key"]] = pending
            pending = []
    return found
