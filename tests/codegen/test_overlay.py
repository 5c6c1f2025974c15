from __future__ import annotations

import pytest

from codegen.overlay import OverlayError, apply_overlay, merge

DOC = {
    "info": {"version": "1"},
    "schemas": {
        "a": {"anyOf": [{"type": "string"}, {"type": "integer"}, {"$ref": "#/x"}]},
        "b": {"enum": ["1", "2"]},
    },
}


def overlay(*actions: dict) -> dict:
    return {"overlay": "1.0.0", "info": {"title": "t", "version": "1"}, "actions": list(actions)}


def test_update_merges_objects_and_replaces_scalars() -> None:
    result = apply_overlay(DOC, overlay({"target": "$.info", "update": {"version": "2", "x": 1}}))
    assert result["info"] == {"version": "2", "x": 1}
    assert DOC["info"] == {"version": "1"}, "the input document is never changed"


def test_update_appends_to_arrays() -> None:
    result = apply_overlay(DOC, overlay({"target": "$.schemas.b.enum", "update": ["3"]}))
    assert result["schemas"]["b"]["enum"] == ["1", "2", "3"]


def test_remove_with_filter_selects_by_value() -> None:
    result = apply_overlay(
        DOC,
        overlay(
            {
                "target": "$.schemas.a.anyOf[?@.type == 'integer' || @['$ref'] == '#/x']",
                "remove": True,
            }
        ),
    )
    assert result["schemas"]["a"]["anyOf"] == [{"type": "string"}]


def test_remove_then_update_replaces_an_array() -> None:
    result = apply_overlay(
        DOC,
        overlay(
            {"target": "$.schemas.b.enum", "remove": True},
            {"target": "$.schemas.b", "update": {"enum": ["9"]}},
        ),
    )
    assert result["schemas"]["b"] == {"enum": ["9"]}


@pytest.mark.parametrize(
    ("action", "message"),
    [
        ({"target": "$.nothing", "remove": True}, "selects nothing"),
        ({"target": "$.info.version", "update": {"a": 1}}, "selects a scalar"),
        ({"target": "$[", "remove": True}, "bad target"),
        ({"target": "$.info"}, "neither updates nor removes"),
        ({"remove": True}, "has no target"),
    ],
)
def test_broken_actions_are_reported(action: dict, message: str) -> None:
    with pytest.raises(OverlayError, match=message):
        apply_overlay(DOC, overlay(action))


def test_rejects_documents_that_are_not_overlays() -> None:
    with pytest.raises(OverlayError, match="not an Overlay"):
        apply_overlay(DOC, {"actions": []})


def test_merge_is_recursive() -> None:
    assert merge({"a": {"b": 1, "c": 2}}, {"a": {"c": 3}}) == {"a": {"b": 1, "c": 3}}
