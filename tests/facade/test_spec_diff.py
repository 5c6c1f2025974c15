"""The semantic diff: what changes for a client, and whether it breaks it."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from rich.console import Console

from intercom_phone_switch._spec_diff import Change, diff, table, to_json
from intercom_phone_switch.commands.diff import diff as diff_command
from intercom_phone_switch.spec import effective
from intercom_phone_switch_generated.registry import MODULES, VERSIONS
from tests.versions import LATEST, NEXT

GENERATED = Path(__file__).resolve().parents[2] / "generated" / "intercom_phone_switch_generated"
SPECS = {version: effective(version).copy() for version in VERSIONS}
SCHEMA = "#/components/schemas/"


def rows(changes: list[Change]) -> list[tuple[str, str, str, bool]]:
    return [(c.location, c.change, c.detail, c.breaking) for c in changes]


def test_2_12_to_2_13() -> None:
    assert rows(diff(SPECS["2.12"], SPECS["2.13"])) == [
        ("header Intercom-Version", "enum widened", "new values: 2.13", False),
        ("header Intercom-Version", "default changed", "2.12 -> 2.13", False),
        (
            "request body: custom_attributes.*",
            "type narrowed",
            "no longer: integer, number, boolean",
            True,
        ),
    ]


def test_2_11_to_2_12() -> None:
    assert rows(diff(SPECS["2.11"], SPECS["2.12"])) == [
        ("header Intercom-Version", "enum widened", "new values: 2.12", False),
        ("header Intercom-Version", "enum narrowed", "values gone: Preview", True),
        ("header Intercom-Version", "default changed", "2.11 -> 2.12", False),
        (
            "request body: custom_attributes.*",
            "type widened",
            "now also: custom_object_instance_list",
            False,
        ),
    ]


@pytest.mark.parametrize("version", list(SPECS))
def test_a_version_does_not_differ_from_itself(version: str) -> None:
    assert diff(SPECS[version], SPECS[version]) == []


def test_prose_is_not_a_change() -> None:
    changed = copy.deepcopy(SPECS[LATEST])
    changed["components"]["schemas"]["phone_switch"]["description"] = "Other words."
    changed["paths"]["/phone_call_redirects"]["post"]["summary"] = "Other words."
    assert diff(SPECS[LATEST], changed) == []


# -- synthetic contracts, one change at a time ------------------------------------------


def contract(
    request: dict[str, Any], answer: dict[str, Any], responses: dict[str, Any] | None = None
) -> dict[str, Any]:
    return {
        "openapi": "3.0.3",
        "paths": {
            "/things": {
                "post": {
                    "parameters": [
                        {"name": "X-Mode", "in": "header", "schema": {"type": "string"}}
                    ],
                    "requestBody": {
                        "required": True,
                        "content": {"application/json": {"schema": {"$ref": SCHEMA + "request"}}},
                    },
                    "responses": responses
                    or {
                        "200": {
                            "description": "ok",
                            "content": {
                                "application/json": {"schema": {"$ref": SCHEMA + "answer"}}
                            },
                        }
                    },
                }
            }
        },
        "components": {"schemas": {"request": request, "answer": answer}},
    }


REQUEST = {
    "type": "object",
    "required": ["name"],
    "properties": {
        "name": {"type": "string"},
        "size": {"type": "integer"},
        "kind": {"type": "string", "enum": ["a", "b"]},
    },
}
ANSWER = {
    "type": "object",
    "required": ["id", "state"],
    "properties": {
        "id": {"type": "string"},
        "state": {"type": "string", "enum": ["on", "off"]},
        "note": {"type": "string"},
    },
}
BASE = contract(REQUEST, ANSWER)


def changed(
    path: str | tuple[str, ...], value: Any = None, *, delete: bool = False
) -> dict[str, Any]:
    document = copy.deepcopy(BASE)
    *parents, last = path.split("/") if isinstance(path, str) else path
    node = document
    for step in parents:
        node = node[step]
    if delete:
        del node[last]
    else:
        node[last] = value
    return document


S = "components/schemas"
OP = ("paths", "/things", "post")


@pytest.mark.parametrize(
    ("new", "expected"),
    [
        pytest.param(
            changed(f"{S}/request/properties/colour", {"type": "string"}),
            [("request body: colour", "field added", "optional", False)],
            id="request-optional-field-added",
        ),
        pytest.param(
            changed(f"{S}/request/required", ["name", "size"]),
            [("request body: size", "became required", "", True)],
            id="request-field-became-required",
        ),
        pytest.param(
            changed(f"{S}/request/required", []),
            [("request body: name", "became optional", "", False)],
            id="request-field-became-optional",
        ),
        pytest.param(
            changed(f"{S}/request/properties/size", delete=True),
            [("request body: size", "field removed", "", True)],
            id="request-field-removed",
        ),
        pytest.param(
            changed(f"{S}/request/properties/kind/enum", ["a"]),
            [("request body: kind", "enum narrowed", "values gone: b", True)],
            id="request-enum-narrowed",
        ),
        pytest.param(
            changed(f"{S}/request/properties/kind/enum", ["a", "b", "c"]),
            [("request body: kind", "enum widened", "new values: c", False)],
            id="request-enum-widened",
        ),
        pytest.param(
            changed(f"{S}/request/properties/size", {"type": "string"}),
            [("request body: size", "type changed", "integer -> string", True)],
            id="request-type-changed",
        ),
        pytest.param(
            changed(
                f"{S}/request/properties/size", {"anyOf": [{"type": "integer"}, {"type": "string"}]}
            ),
            [("request body: size", "type widened", "now also: string", False)],
            id="request-type-widened",
        ),
        pytest.param(
            changed(f"{S}/request/properties/name", {"type": "string", "pattern": "^[a-z]+$"}),
            [("request body: name", "pattern changed", "none -> ^[a-z]+$", True)],
            id="request-pattern-added",
        ),
        pytest.param(
            changed(f"{S}/answer/properties/state/enum", ["on", "off", "broken"]),
            [("response 200: state", "enum widened", "new values: broken", True)],
            id="response-enum-widened",
        ),
        pytest.param(
            changed(f"{S}/answer/properties/state/enum", ["on"]),
            [("response 200: state", "enum narrowed", "values gone: off", False)],
            id="response-enum-narrowed",
        ),
        pytest.param(
            changed(f"{S}/answer/properties/when", {"type": "integer"}),
            [("response 200: when", "field added", "optional", False)],
            id="response-field-added",
        ),
        pytest.param(
            changed(f"{S}/answer/properties/note", delete=True),
            [("response 200: note", "field removed", "", True)],
            id="response-field-removed",
        ),
        pytest.param(
            changed(f"{S}/answer/required", ["id"]),
            [("response 200: state", "became optional", "", True)],
            id="response-field-no-longer-guaranteed",
        ),
        pytest.param(
            changed(f"{S}/answer/properties/note", {"type": "string", "nullable": True}),
            [("response 200: note", "type widened", "now also: null", True)],
            id="response-nullable-added",
        ),
        pytest.param(
            changed(f"{S}/answer/properties/id", {"type": "string", "format": "uuid"}),
            [("response 200: id", "format changed", "none -> uuid", False)],
            id="response-format-added",
        ),
        pytest.param(
            changed(f"{S}/request/properties/name", {"type": "string", "format": "email"}),
            [("request body: name", "format changed", "none -> email", True)],
            id="request-format-added",
        ),
        pytest.param(
            changed(f"{S}/answer/properties/id", {"type": "string", "pattern": "^[0-9]+$"}),
            [("response 200: id", "pattern changed", "none -> ^[0-9]+$", False)],
            id="response-pattern-added",
        ),
        pytest.param(
            changed(
                f"{S}/answer/properties/note",
                {"anyOf": [{"type": "string"}, {"type": "array", "items": {"type": "string"}}]},
            ),
            [("response 200: note", "type widened", "now also: array of string", True)],
            id="response-type-widened-names-item-types",
        ),
        pytest.param(
            changed(
                f"{S}/request/properties/size",
                {
                    "anyOf": [
                        {"type": "integer"},
                        {"type": "array", "items": {"$ref": SCHEMA + "answer"}},
                        {"type": "array", "items": {"anyOf": [{"type": "string"}, {}]}},
                    ]
                },
            ),
            [
                (
                    "request body: size",
                    "type widened",
                    "now also: array of answer",
                    False,
                )
            ],
            id="request-type-widened-names-referenced-item-types",
        ),
        pytest.param(
            changed(f"{S}/answer/properties/note", {"type": "array", "items": {"type": "string"}}),
            [("response 200: note", "type changed", "string -> array of string", True)],
            id="response-type-changed-names-item-types",
        ),
        pytest.param(
            changed(
                (*OP, "responses", "200", "content", "text/plain"), {"schema": {"type": "string"}}
            ),
            [("response 200", "media type added", "text/plain", True)],
            id="response-media-type-added",
        ),
        pytest.param(
            changed((*OP, "requestBody", "content", "text/plain"), {"schema": {"type": "string"}}),
            [("request body", "media type added", "text/plain", False)],
            id="request-media-type-added",
        ),
        pytest.param(
            changed(f"{S}/answer/additionalProperties", False),
            [("response 200", "other fields refused", "", False)],
            id="response-closed",
        ),
        pytest.param(
            changed(
                (*OP, "responses", "429"),
                {"description": "slow down", "content": {"application/json": {"schema": {}}}},
            ),
            [("response 429", "status added", "", True)],
            id="status-added",
        ),
        pytest.param(
            changed((*OP, "parameters"), []),
            [("header X-Mode", "parameter removed", "", True)],
            id="parameter-removed",
        ),
        pytest.param(
            changed(
                (*OP, "parameters"),
                [
                    {"name": "X-Mode", "in": "header", "schema": {"type": "string"}},
                    {
                        "name": "X-Key",
                        "in": "header",
                        "required": True,
                        "schema": {"type": "string"},
                    },
                ],
            ),
            [("header X-Key", "parameter added", "required", True)],
            id="required-parameter-added",
        ),
        pytest.param(
            changed((*OP, "requestBody", "required"), False),
            [("request body", "became optional", "", False)],
            id="body-optional",
        ),
    ],
)
def test_each_change_and_its_classification(
    new: dict[str, Any], expected: list[tuple[str, str, str, bool]]
) -> None:
    assert rows(diff(BASE, new)) == expected


def test_what_no_longer_arrives_does_not_break() -> None:
    """CONTRIBUTING.md: in responses, what breaks is what may arrive that did not before."""
    more = copy.deepcopy(BASE)
    more["paths"]["/things"]["post"]["responses"]["404"] = {"description": "none"}
    more["paths"]["/things"]["post"]["responses"]["200"]["content"]["text/plain"] = {}
    assert rows(diff(more, BASE)) == [
        ("response 404", "status removed", "", False),
        ("response 200", "media type removed", "text/plain", False),
    ]
    assert all(change.breaking for change in diff(BASE, more))
    request_more = copy.deepcopy(BASE)
    request_more["paths"]["/things"]["post"]["requestBody"]["content"]["text/plain"] = {}
    assert rows(diff(request_more, BASE)) == [
        ("request body", "media type removed", "text/plain", True)
    ]


def test_answers_lose_a_format_or_pattern_breaks() -> None:
    formatted = changed(
        f"{S}/answer/properties/id", {"type": "string", "format": "uuid", "pattern": "^[a-f]$"}
    )
    assert rows(diff(formatted, BASE)) == [
        ("response 200: id", "format changed", "uuid -> none", True),
        ("response 200: id", "pattern changed", "^[a-f]$ -> none", True),
    ]
    assert rows(diff(changed(f"{S}/request/properties/name/format", "email"), BASE)) == [
        ("request body: name", "format changed", "email -> none", False)
    ]


def test_a_new_answer_field_breaks_only_where_other_fields_were_refused() -> None:
    closed = changed(f"{S}/answer/additionalProperties", False)
    more = copy.deepcopy(closed)
    more["components"]["schemas"]["answer"]["properties"]["when"] = {"type": "integer"}
    assert rows(diff(closed, more)) == [("response 200: when", "field added", "optional", True)]
    assert rows(diff(closed, BASE)) == [("response 200", "other fields allowed", "", True)]


def test_reference_cycles_terminate() -> None:
    node = {"type": "object", "properties": {"child": {"$ref": SCHEMA + "answer"}}}
    old = contract(REQUEST, node)
    new = copy.deepcopy(old)
    new["components"]["schemas"]["answer"]["properties"]["extra"] = {"type": "string"}
    assert rows(diff(old, new)) == [("response 200: extra", "field added", "optional", False)]


# -- output ------------------------------------------------------------------------------


def test_json_report() -> None:
    changes = diff(SPECS["2.12"], SPECS["2.13"])
    report = json.loads(to_json(changes, "2.12", "2.13"))
    assert report["from"] == "2.12"
    assert report["to"] == "2.13"
    assert report["breaking"] == 1
    assert report["changes"][2] == {
        "location": "request body: custom_attributes.*",
        "change": "type narrowed",
        "detail": "no longer: integer, number, boolean",
        "breaking": True,
        "direction": "request",
    }


def test_table_lists_every_change() -> None:
    console = Console(record=True, width=120)
    console.print(table(diff(SPECS["2.12"], SPECS["2.13"]), "2.12", "2.13"))
    text = console.export_text()
    assert "Contract changes from 2.12 to 2.13" in text
    assert "no longer: integer, number, boolean" in text
    assert "3 changes, 1 breaking for a client" in text


def test_cli_table_and_json(tmp_path: Path) -> None:
    runner = CliRunner()
    result = runner.invoke(diff_command, ["2.12", "2.13"], terminal_width=140)
    assert result.exit_code == 0, result.output
    assert "type narrowed" in result.output
    output = tmp_path / "changes.json"
    args = ["2.12", "2.13", "--json", "--output", str(output)]
    result = runner.invoke(diff_command, args)
    assert result.exit_code == 0, result.output
    assert json.loads(result.output) == json.loads(output.read_text())
    assert json.loads(result.output)["breaking"] == 1


def test_cli_fails_on_breaking_when_asked() -> None:
    runner = CliRunner()
    args = ["--fail-on-breaking"]
    assert runner.invoke(diff_command, ["2.12", "2.13", *args]).exit_code == 1
    assert runner.invoke(diff_command, ["2.13", "2.14", *args]).exit_code == 0


def test_cli_compares_a_file_with_a_version(tmp_path: Path) -> None:
    spec = GENERATED / MODULES["2.13"] / "openapi.json"
    result = CliRunner().invoke(diff_command, [str(spec), "2.13"])
    assert result.exit_code == 0, result.output
    assert "No contract changes" in result.output


def test_cli_names_the_supported_versions_for_an_unknown_one() -> None:
    result = CliRunner().invoke(diff_command, ["2.12", NEXT])
    assert result.exit_code != 0
    assert f"'{NEXT}' is neither an installed version" in result.output
    assert "Preview" in result.output


# -- bounded inputs ------------------------------------------------------------------------

#: Nine levels of aliases: about a kilobyte of YAML standing for 10^9 strings.
LAUGHS = "\n".join(
    [
        "openapi: 3.0.3",
        "paths: {}",
        'a0: &a0 ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]',
        *(
            f"a{level}: &a{level} [" + ", ".join([f"*a{level - 1}"] * 10) + "]"
            for level in range(1, 10)
        ),
        "components: {schemas: {x: *a9}}",
    ]
)


@pytest.mark.parametrize(
    ("name", "text", "reason"),
    [
        pytest.param("laughs.yaml", LAUGHS, "anchors and aliases are refused", id="aliases"),
        pytest.param(
            "anchor.yaml",
            "openapi: 3.0.3\npaths: &p {}\n",
            "anchors and aliases are refused",
            id="anchor-alone",
        ),
        pytest.param(
            "deep.json",
            '{"openapi": "3.0.3", "paths": {}, "x": ' + "[" * 5000 + "]" * 5000 + "}",
            "levels deep",
            id="deep-json",
        ),
        pytest.param(
            "deep.yaml",
            "openapi: 3.0.3\npaths: {}\nx: " + "[" * 100 + "]" * 100 + "\n",
            "levels deep",
            id="deep-yaml",
        ),
    ],
)
def test_cli_refuses_unbounded_documents(tmp_path: Path, name: str, text: str, reason: str) -> None:
    path = tmp_path / name
    path.write_text(text)
    result = CliRunner().invoke(diff_command, [str(path), "2.13"])
    assert result.exit_code == 2, result.output
    assert reason in result.output
    assert str(path.name) in result.output
    assert "Traceback" not in result.output


def test_cli_refuses_a_document_too_large(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from intercom_phone_switch import _documents

    monkeypatch.setattr(_documents, "MAX_BYTES", 1000)
    path = tmp_path / "large.json"
    path.write_text(json.dumps({"openapi": "3.0.3", "paths": {}, "x": "y" * 2000}))
    result = CliRunner().invoke(diff_command, [str(path), "2.13"])
    assert result.exit_code == 2, result.output
    assert "documents larger than 1,000 bytes are refused" in result.output
