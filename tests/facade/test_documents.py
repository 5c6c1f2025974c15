"""Documents a person hands to a tool are read within bounds (_documents.py)."""

from __future__ import annotations

import time

import pytest
import yaml

from intercom_phone_switch import _documents
from intercom_phone_switch._documents import DocumentRefused, load_json, load_yaml


def laughs(levels: int) -> str:
    """A small YAML document whose aliases stand for 10**levels strings."""
    lines = ['a0: &a0 ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]']
    for level in range(1, levels):
        lines.append(f"a{level}: &a{level} [" + ", ".join([f"*a{level - 1}"] * 10) + "]")
    return "\n".join(lines) + "\n"


def test_aliases_are_refused_before_anything_is_built() -> None:
    text = laughs(12)
    assert len(text) < 2000
    started = time.perf_counter()
    with pytest.raises(DocumentRefused, match=r"laughs.yaml, line 1: YAML anchors and aliases"):
        load_yaml(text, "laughs.yaml")
    assert time.perf_counter() - started < 1.0


def test_an_anchor_alone_is_refused_and_plain_yaml_is_read() -> None:
    with pytest.raises(DocumentRefused, match="line 2"):
        load_yaml("a: 1\nb: &x {}\n")
    assert load_yaml("a: [1, {b: c}]\n") == {"a": [1, {"b": "c"}]}
    with pytest.raises(yaml.YAMLError):
        load_yaml("a: [\n")


def test_depth_is_bounded() -> None:
    deep = "x: " + "[" * (_documents.MAX_DEPTH + 1) + "]" * (_documents.MAX_DEPTH + 1)
    with pytest.raises(DocumentRefused, match="nested more than"):
        load_yaml(deep)
    shallow = "x: " + "[" * (_documents.MAX_DEPTH - 1) + "]" * (_documents.MAX_DEPTH - 1)
    assert load_yaml(shallow) is not None
    with pytest.raises(DocumentRefused, match="nested more than"):
        load_json("[" * 100_000 + "]" * 100_000)
    with pytest.raises(DocumentRefused, match="nested more than"):
        load_json("[" * 100 + "]" * 100)
    with pytest.raises(ValueError, match="Expecting"):
        load_json("{")


def test_size_is_bounded(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(_documents, "MAX_BYTES", 10)
    with pytest.raises(DocumentRefused, match=r"big\.yaml is 12 bytes"):
        load_yaml("a: 12345678\n", "big.yaml")
    with pytest.raises(DocumentRefused, match="documents larger than 10 bytes"):
        load_json('"1234567890"')
    assert load_json("[1]") == [1]
