"""Importing Intercom's published descriptions: extraction, prose, overlays, the command.

Intercom's own descriptions are read only through INTERCOM_OPENAPI_DIR (a folder with one
``<version>/api.intercom.io.yaml`` per version). Without it, the same tests run on our
fixtures under fixtures/, which have the shape of a published description: other paths
and components around the endpoint, prose (of our own), a dangling reference.
"""

from __future__ import annotations

import copy
import functools
import os
import re
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from click.testing import CliRunner
from projects import (
    ADDITIVE,
    CHANGED,
    FIXTURES,
    RENAMED,
    ROOT,
    additions,
    copy_project,
    next_description,
    next_version,
    snapshot,
    stored_document,
)

from codegen.effective import build, version_key
from codegen.emit import EmitError, dump, load, same, top_level_comments
from codegen.extract import SpecImportError, extract, read_source
from codegen.import_command import import_spec
from codegen.importer import StableNamesMissing, convert, load_description, plan_import, write
from codegen.overlay import apply_overlay
from codegen.overlay_writer import actions, overlay_text
from codegen.prose import PLACEHOLDER, describe_responses, graft, reorder, strip
from intercom_phone_switch._spec_diff import diff
from intercom_phone_switch_generated.registry import VERSIONS
from tests.versions import LATEST

#: The stored spec's version: the newest stable one.
STORED_VERSION = LATEST
PROSE_KEYS = ("description", "summary", "title")


def _sources() -> list[Any]:
    params = [
        pytest.param(path.stem, path, id=f"fixture-{path.stem}")
        for path in sorted(FIXTURES.glob("*.yaml"), key=lambda p: version_key(p.stem))
    ]
    folder = os.environ.get("INTERCOM_OPENAPI_DIR")
    if folder:
        published = sorted(
            Path(folder).glob("*/api.intercom.io.yaml"), key=lambda p: version_key(p.parent.name)
        )
        assert published, f"INTERCOM_OPENAPI_DIR={folder} holds no */api.intercom.io.yaml"
        params += [
            pytest.param(path.parent.name, path, id=f"published-{path.parent.name}")
            for path in published
        ]
    return params


SOURCES = _sources()


@functools.cache
def _description(path: Path) -> dict[str, Any]:
    return load_description(str(path))


def description(path: Path) -> dict[str, Any]:
    """A fresh copy of a parsed description (parsing the published ones takes a while)."""
    return copy.deepcopy(_description(path))


def strings(node: Any) -> Iterator[str]:
    if isinstance(node, dict):
        for key, value in node.items():
            yield str(key)
            yield from strings(value)
    elif isinstance(node, list):
        for item in node:
            yield from strings(item)
    elif isinstance(node, str):
        yield node


def upstream_prose(document: dict[str, Any]) -> set[str]:
    """Sentences of a description's prose, long enough not to be a mere name."""
    found: set[str] = set()

    def visit(node: Any) -> None:
        if isinstance(node, dict):
            for key, value in node.items():
                if key in PROSE_KEYS and isinstance(value, str) and len(value.strip()) > 24:
                    found.add(value.strip())
                visit(value)
        elif isinstance(node, list):
            for item in node:
                visit(item)

    visit(extract(document).document)
    return found


def kinds(overlay: dict[str, Any]) -> list[tuple[str, str]]:
    return [
        (action["target"], "remove" if action.get("remove") else "update")
        for action in overlay["actions"]
    ]


# -- the import reproduces what is committed ---------------------------------------------


@pytest.mark.parametrize(("version", "path"), SOURCES)
def test_import_reproduces_the_committed_files(version: str, path: Path) -> None:
    source = description(path)
    result = plan_import(ROOT, version, source)
    own_file = "openapi.yaml" if version == STORED_VERSION else f"overlays/{version}.yaml"
    assert own_file in result.files
    assert result.changes(ROOT) == [], (
        "importing changes committed files; after a hand edit, run "
        "`nox -s import_spec -- --normalize`"
    )
    prose = upstream_prose(source)
    assert prose, "the source has prose to leave out"
    for text in result.files.values():
        written = list(strings(load(text)))
        leaked = [s for s in prose if any(s in w for w in written)]
        assert leaked == [], "published prose reached the output"
        assert "Fixture" not in text


@pytest.mark.parametrize(("version", "path"), SOURCES)
def test_the_imported_document_is_the_effective_spec(version: str, path: Path) -> None:
    result = plan_import(ROOT, version, description(path))
    effective = {spec.version: spec.document for spec in build(ROOT)}
    assert same(result.document, effective[version])


def test_dangling_references_are_reported() -> None:
    old = plan_import(ROOT, "2.7", description(FIXTURES / "2.7.yaml"))
    assert old.dangling == ["#/components/schemas/custom_attributes"]
    assert "dangling-custom-attributes" in old.fired
    new = plan_import(ROOT, "2.12", description(FIXTURES / "2.12.yaml"))
    assert new.dangling == []
    assert new.not_fired == ["dangling-custom-attributes"]


def test_extraction_keeps_the_operation_and_what_it_reaches() -> None:
    extracted = extract(description(FIXTURES / "2.16.yaml"))
    document = extracted.document
    assert list(document["paths"]) == ["/phone_call_redirects"]
    assert list(document["paths"]["/phone_call_redirects"]) == ["post"]
    assert sorted(document["components"]) == ["schemas", "securitySchemes"]
    assert list(document["components"]["securitySchemes"]) == ["bearerAuth"]
    assert sorted(document["components"]["schemas"]) == [
        "create_phone_switch_request",
        "custom_attributes",
        "custom_object_instance",
        "custom_object_instance_list",
        "datetime",
        "error",
        "intercom_version",
        "phone_switch",
    ]
    assert "tags" not in document
    assert "info" not in document
    assert extracted.dangling == []


# -- a version after the newest one ----------------------------------------------------


def in_order(expected: list[Any], found: list[Any]) -> bool:
    """Every expected item is found, in the same order (others may come between)."""
    remaining = iter(found)
    return all(any(item == other for other in remaining) for item in expected)


def rows(changes: Any) -> list[tuple[str, str, str, bool]]:
    return [(c.location, c.change, c.detail, c.breaking) for c in changes]


def test_a_newer_version_becomes_the_stored_spec(tmp_path: Path) -> None:
    root = copy_project(tmp_path / "project")
    new = next_version()
    source = next_description(ADDITIVE, tmp_path)
    before = {spec.version: spec.document for spec in build(root)}
    result = plan_import(root, new, description(source))
    assert result.promoted
    assert sorted(result.files) == sorted(
        ["openapi.yaml", *(f"overlays/{v}.yaml" for v in before if v != new)]
    )
    write(root, result)
    after = {spec.version: spec.document for spec in build(root)}
    assert list(after) == [*list(before)[:-1], new, "Preview"]
    for version, document in before.items():
        assert same(after[version], document), f"the contract of {version} changed"
    stored = load((root / "openapi.yaml").read_text())
    assert stored["info"]["version"] == new
    fresh = additions(before[STORED_VERSION])
    if fresh["conversation_id"]:
        answer = stored["components"]["schemas"]["phone_switch"]["properties"]
        assert answer["conversation_id"] == {"type": "string", "example": "512"}, (
            "the new field comes without published prose, with its published example"
        )
    overlay = load((root / "overlays" / f"{STORED_VERSION}.yaml").read_text())
    schemas = "$.components.schemas"
    expected = [
        ("$.info", "update"),
        *[("$.paths['/phone_call_redirects'].post.responses['409']", "remove")] * fresh["409"],
        (f"{schemas}.intercom_version.enum", "remove"),
        (f"{schemas}.intercom_version", "update"),
        *[(f"{schemas}.custom_attributes.additionalProperties.anyOf[?@.type == 'array']", "remove")]
        * fresh["array"],
        *[(f"{schemas}.phone_switch.properties.conversation_id", "remove")]
        * fresh["conversation_id"],
    ]
    assert in_order(expected, kinds(overlay))
    expected_rows = [
        ("header Intercom-Version", "enum widened", f"new values: {new}", False),
        ("header Intercom-Version", "default changed", f"{STORED_VERSION} -> {new}", False),
        *[("request body: custom_attributes.*", "type widened", "now also: array of string", False)]
        * fresh["array"],
        *[("response 409", "status added", "", True)] * fresh["409"],
        *[("response 200: conversation_id", "field added", "optional", False)]
        * fresh["conversation_id"],
    ]
    assert in_order(expected_rows, rows(diff(before[STORED_VERSION], after[new])))
    assert plan_import(root, new, description(source)).changes(root) == []
    for version in ("2.7", "2.13", "Preview"):
        again = plan_import(root, version, description(FIXTURES / f"{version}.yaml"))
        assert again.changes(root) == [], f"{version} no longer imports to its overlay"


def test_a_new_status_arrives_described_and_with_its_examples(tmp_path: Path) -> None:
    root = copy_project(tmp_path / "project")
    new = next_version()
    source = description(next_description(ADDITIVE, tmp_path))
    responses = source["paths"]["/phone_call_redirects"]["post"]["responses"]
    known = stored_document()["paths"]["/phone_call_redirects"]["post"]["responses"]
    status = next(code for code in ("409", "423", "425", "451", "499") if code not in known)
    responses[status] = responses.pop("409")
    result = plan_import(root, new, source)
    assert result.described == [f"/paths/~1phone_call_redirects/post/responses/{status}"]
    answer = result.document["paths"]["/phone_call_redirects"]["post"]["responses"][status]
    assert answer == {
        "description": PLACEHOLDER,
        "content": {
            "application/json": {
                "examples": {
                    "fixture in progress": {
                        "value": {
                            "type": "error.list",
                            "request_id": "00000000-0000-4000-8000-000000000409",
                            "errors": [
                                {
                                    "code": "phone_switch_in_progress",
                                    "message": "A phone switch to this number is already "
                                    "in progress",
                                }
                            ],
                        }
                    }
                },
                "schema": {"$ref": "#/components/schemas/error"},
            }
        },
    }, "a placeholder description, the published example without its summary"
    write(root, result)
    stored = root / "openapi.yaml"
    reworded = stored.read_text().replace(PLACEHOLDER, "A switch to this number is under way.")
    stored.write_text(reworded)
    again = plan_import(root, new, source)
    assert again.changes(root) == [], "the next import keeps the maintainer's wording"
    assert again.described == []


def test_hand_worded_overlay_actions_survive_a_new_stored_version(tmp_path: Path) -> None:
    root = copy_project(tmp_path / "project")
    overlay = root / "overlays" / "2.13.yaml"
    kept = "2.13 admits only string values and custom object instance lists."
    assert kept in overlay.read_text()
    new = next_version()
    write(root, plan_import(root, new, description(next_description(ADDITIVE, tmp_path))))
    text = overlay.read_text()
    assert kept in text, "the hand-worded description stays"
    targets = [action["target"] for action in load(text)["actions"]]
    anyof = "$.components.schemas.custom_attributes.additionalProperties.anyOf"
    assert f"{anyof}[?@.type == 'integer' || @.type == 'number' || @.type == 'boolean']" in (
        targets
    ), "with its filter target"
    assert f"{anyof}[?@.type == 'array']" in targets, "the new branch goes by a filter too"
    for other in (root / "overlays").glob("*.yaml"):
        for target in (action["target"] for action in load(other.read_text())["actions"]):
            assert not re.search(r"\[\d", target), f"{other.name}: positional target {target}"


CHANGED_ROWS = [
    ("header Intercom-Version", "enum widened", "new values: {new}", False),
    ("header Intercom-Version", "enum narrowed", "values gone: 1.0, 1.1, 1.2, 1.3, 1.4", True),
    ("header Intercom-Version", "default changed", "{stored} -> {new}", False),
    ("request body: sms_consent", "field added", "required", True),
    ("response 200: phone", "field removed", "", True),
]


def test_a_version_the_facade_cannot_send_stops_the_import(tmp_path: Path) -> None:
    root = copy_project(tmp_path / "project")
    new = next_version()
    source = description(next_description(CHANGED, tmp_path))
    with pytest.raises(StableNamesMissing) as stopped:
        plan_import(root, new, source)
    message = str(stopped.value)
    assert message.startswith(f"cannot import {new}; nothing was written.")
    assert "the request requires 'sms_consent', which no stable name carries" in message
    assert "No declaration fixes request" in message
    assert "response phone: the accepted answer has no property 'phone'" in message
    assert f"write overlays/{new}.yaml" in message
    stored = load((ROOT / "openapi.yaml").read_text())
    converted = convert(source, new, stored, stored)
    expected = [
        (where, change, detail.format(new=new, stored=STORED_VERSION), breaking)
        for where, change, detail, breaking in CHANGED_ROWS
    ]
    found = rows(diff(stored, converted.document))
    assert in_order([expected[0], *expected[2:]], found), found


def preview_of(document: dict[str, Any]) -> dict[str, Any]:
    """The changed fixture, published as Preview."""
    placeholder = document["info"]["version"]
    document["info"]["version"] = "Preview"
    version = document["components"]["schemas"]["intercom_version"]
    version["enum"] = [v for v in version["enum"] if v != placeholder] + ["Preview"]
    version["default"] = version["example"] = "Preview"
    return document


def test_a_changed_endpoint_as_an_overlay() -> None:
    stored = load((ROOT / "openapi.yaml").read_text())
    previous = load((ROOT / "overlays" / "Preview.yaml").read_text())
    ours = apply_overlay(stored, previous)
    converted = convert(preview_of(description(CHANGED)), "Preview", ours, stored)
    overlay = load(overlay_text(stored, converted.document, "Preview", previous))
    schemas = "$.components.schemas"
    assert in_order(
        [
            ("$.info", "update"),
            (f"{schemas}.intercom_version.enum", "remove"),
            (f"{schemas}.intercom_version", "update"),
            (f"{schemas}.create_phone_switch_request.properties", "update"),
            (f"{schemas}.create_phone_switch_request.required", "remove"),
            (f"{schemas}.create_phone_switch_request", "update"),
        ],
        kinds(overlay),
    )
    assert any(
        target.startswith(f"{schemas}.phone_switch.properties") and "phone" in target
        for target, kind in kinds(overlay)
        if kind == "remove"
    ), "the answer's phone goes"
    by_target = {(a["target"], "remove" in a): a for a in overlay["actions"]}
    assert by_target[(f"{schemas}.intercom_version", False)]["description"] == (
        "The header values Preview lists, and Preview as the default."
    ), "the description of an unchanged action is kept"
    request = f"{schemas}.create_phone_switch_request"
    assert by_target[(f"{request}.properties", False)]["update"] == {
        "sms_consent": {"type": "boolean"}
    }
    assert by_target[(request, False)]["update"] == {"required": ["phone", "sms_consent"]}
    assert same(apply_overlay(stored, overlay), converted.document)
    assert in_order(
        [
            ("header Intercom-Version", "enum widened", "new values: Preview", False),
            ("header Intercom-Version", "default changed", f"{STORED_VERSION} -> Preview", False),
            ("request body: sms_consent", "field added", "required", True),
            ("response 200: phone", "field removed", "", True),
        ],
        rows(diff(stored, converted.document)),
    )


# -- what the importer refuses -----------------------------------------------------------


def test_a_description_of_another_version_is_refused() -> None:
    with pytest.raises(SpecImportError, match=r"for version '2\.12', not '2\.13'"):
        plan_import(ROOT, "2.13", description(FIXTURES / "2.12.yaml"))


def test_preview_may_be_published_as_version_0() -> None:
    source = description(FIXTURES / "Preview.yaml")
    source["info"]["version"] = "0"
    assert plan_import(ROOT, "Preview", source).changes(ROOT) == []


def test_a_description_without_the_operation_is_refused() -> None:
    source = description(FIXTURES / "2.16.yaml")
    del source["paths"]["/phone_call_redirects"]
    with pytest.raises(SpecImportError, match="no POST /phone_call_redirects"):
        plan_import(ROOT, "2.16", source)


def test_a_dangling_reference_no_rule_knows_is_refused() -> None:
    source = description(FIXTURES / "2.16.yaml")
    answer = source["components"]["schemas"]["phone_switch"]["properties"]
    answer["extra"] = {"$ref": "#/components/schemas/nowhere"}
    with pytest.raises(SpecImportError, match=r"nowhere.*add a correction rule"):
        plan_import(ROOT, "2.16", source)


def test_an_external_reference_is_refused() -> None:
    source = description(FIXTURES / "2.16.yaml")
    answer = source["components"]["schemas"]["phone_switch"]["properties"]
    answer["extra"] = {"$ref": "other.yaml#/components/schemas/x"}
    with pytest.raises(SpecImportError, match="only local component references"):
        plan_import(ROOT, "2.16", source)


def test_an_unknown_version_name_is_refused() -> None:
    source = description(FIXTURES / "2.16.yaml")
    source["info"]["version"] = "latest"
    with pytest.raises(SpecImportError, match="not an Intercom-Version"):
        plan_import(ROOT, "latest", source)


# -- reading a description ---------------------------------------------------------------


def test_a_description_is_read_from_a_url() -> None:
    text = CHANGED.read_text()

    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.path == "/2.17/api.intercom.io.yaml":
            return httpx.Response(200, text=text)
        return httpx.Response(404)

    with httpx.Client(transport=httpx.MockTransport(handler)) as client:
        assert read_source("https://example.test/2.17/api.intercom.io.yaml", client=client) == text
        with pytest.raises(httpx.HTTPStatusError):
            read_source("https://example.test/nothing.yaml", client=client)


def test_a_file_that_is_no_description_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "list.yaml"
    path.write_text("- 1\n- 2\n")
    with pytest.raises(SpecImportError, match="not an OpenAPI description"):
        load_description(str(path))


# -- the command -------------------------------------------------------------------------


def test_command_check_passes_on_the_committed_project() -> None:
    args = ["2.13", str(FIXTURES / "2.13.yaml"), "--root", str(ROOT), "--check"]
    result = CliRunner().invoke(import_spec, args, terminal_width=200)
    assert result.exit_code == 0, result.output
    assert "every file is already what the import writes" in result.output
    assert "conditions not met" in result.output


def test_command_repairs_a_hand_edited_overlay(tmp_path: Path) -> None:
    root = copy_project(tmp_path)
    overlay = root / "overlays" / "2.13.yaml"
    committed = overlay.read_text()
    overlay.write_text(committed.replace('default: "2.13"', 'default: "2.12"'))
    runner = CliRunner()
    args = ["2.13", str(FIXTURES / "2.13.yaml"), "--root", str(root)]
    result = runner.invoke(import_spec, [*args, "--check"], terminal_width=200)
    assert result.exit_code == 1
    assert "overlays/2.13.yaml" in result.output
    result = runner.invoke(import_spec, [*args, "--no-generate"], terminal_width=200)
    assert result.exit_code == 0, result.output
    assert overlay.read_text() == committed
    assert "default changed" in result.output, "the diff against the edited version is shown"


def test_command_normalizes_hand_edited_files(tmp_path: Path) -> None:
    root = copy_project(tmp_path)
    stored = root / "openapi.yaml"
    committed = stored.read_text()
    reworded = committed.replace("The number the SMS went to.", "The number texted.")
    stored.write_text(reworded.replace("title: Phone switch\n", "title: 'Phone switch'\n"))
    runner = CliRunner()
    args = ["--normalize", "--root", str(root), "--no-generate"]
    result = runner.invoke(import_spec, [*args, "--check"], terminal_width=200)
    assert result.exit_code == 1
    assert "openapi.yaml" in result.output
    result = runner.invoke(import_spec, args, terminal_width=200)
    assert result.exit_code == 0, result.output
    assert stored.read_text() == reworded, "the wording stays, the quoting is the usual one"
    again = plan_import(root, "2.16", description(FIXTURES / "2.16.yaml"))
    assert again.changes(root) == [], "an import keeps the new wording"
    assert runner.invoke(import_spec, ["--normalize", "2.16", "--root", str(root)]).exit_code == 2


def test_command_reports_a_bad_source(tmp_path: Path) -> None:
    args = ["2.13", str(tmp_path / "missing.yaml"), "--root", str(ROOT), "--check"]
    result = CliRunner().invoke(import_spec, args)
    assert result.exit_code == 2, "an unreadable input is a usage error"
    assert "missing.yaml" in result.output


# -- the overlay writer ------------------------------------------------------------------

BASE: dict[str, Any] = {
    "info": {"version": "2"},
    "schemas": {
        "a": {"anyOf": [{"type": "string"}, {"type": "integer"}, {"$ref": "#/x"}]},
        "b": {"type": "string", "enum": ["1", "2", "3"], "default": "3"},
        "c": {"type": "object", "properties": {"p": {"type": "string"}, "q": {"type": "string"}}},
        "d": {"type": "object"},
        "odd-name": {"type": "string"},
    },
}


def written(target: dict[str, Any], previous: dict[str, Any] | None = None) -> list[Any]:
    found = actions(BASE, target, "1", previous)
    overlay = {"overlay": "1.0.0", "actions": found}
    assert same(apply_overlay(BASE, overlay), target)
    return found


def edit(change: Any) -> dict[str, Any]:
    target = copy.deepcopy(BASE)
    change(target)
    return target


def test_writer_removes_updates_and_replaces_lists() -> None:
    def change(t: dict[str, Any]) -> None:
        t["info"]["version"] = "1"
        t["schemas"]["b"]["enum"] = ["1", "2"]
        t["schemas"]["b"]["default"] = "2"
        del t["schemas"]["c"]["properties"]["q"]
        t["schemas"]["c"]["properties"]["r"] = {"type": "integer"}
        del t["schemas"]["d"], t["schemas"]["odd-name"]

    found = written(edit(change))
    assert [(a["target"], "remove" in a, a.get("update")) for a in found] == [
        ("$.info", False, {"version": "1"}),
        ("$.schemas.b.enum", True, None),
        ("$.schemas.b", False, {"enum": ["1", "2"], "default": "2"}),
        ("$.schemas.c.properties.q", True, None),
        ("$.schemas.c.properties", False, {"r": {"type": "integer"}}),
        ("$.schemas['d','odd-name']", True, None),
    ]
    assert found[0]["description"] == "This document describes Intercom-Version 1."
    assert found[3]["description"] == "1 has no q."
    assert found[4]["description"] == "1 also has r."


def test_writer_removes_branches_with_a_filter() -> None:
    target = edit(lambda t: t["schemas"]["a"]["anyOf"].pop(2) and t["schemas"]["a"]["anyOf"].pop(1))
    (action,) = written(target)
    assert action["target"] == "$.schemas.a.anyOf[?@.type == 'integer' || @['$ref'] == '#/x']"
    assert action["remove"] is True


def test_writer_falls_back_to_indices_when_a_filter_cannot_tell_items_apart() -> None:
    def change(t: dict[str, Any]) -> None:
        t["schemas"]["a"]["anyOf"] = [{"type": "string"}, {"type": "integer"}, {"type": "string"}]

    base = copy.deepcopy(BASE)
    base["schemas"]["a"]["anyOf"] = [
        {"type": "string"},
        {"type": "integer"},
        {"type": "string"},
        {"type": "string"},
    ]
    target = edit(change)
    found = actions(base, target, "1")
    assert [a["target"] for a in found] == ["$.schemas.a.anyOf[3]"]
    assert same(apply_overlay(base, {"overlay": "1.0.0", "actions": found}), target)


def test_writer_appends_branches_and_edits_items_in_place() -> None:
    appended = edit(lambda t: t["schemas"]["a"]["anyOf"].append({"type": "boolean"}))
    (action,) = written(appended)
    assert action["target"] == "$.schemas.a.anyOf"
    assert action["update"] == [{"type": "boolean"}]
    in_place = edit(lambda t: t["schemas"]["a"]["anyOf"][1].update(type="number"))
    (action,) = written(in_place)
    assert action["target"] == "$.schemas.a.anyOf[1]"
    assert action["update"] == {"type": "number"}


def test_writer_replaces_a_scalar_by_a_list_and_back() -> None:
    found = written(edit(lambda t: t["schemas"]["b"].update(enum="x", default=["y"])))
    assert [a["target"] for a in found] == ["$.schemas.b.enum", "$.schemas.b"]


def test_writer_keeps_the_descriptions_of_a_previous_overlay() -> None:
    target = edit(lambda t: t["info"].update(version="1"))
    previous = {"actions": [{"target": "$.info", "description": "Ours.", "update": {}}]}
    (action,) = written(target, previous)
    assert action["description"] == "Ours."
    previous["actions"][0]["remove"] = True
    (action,) = written(target, previous)
    assert action["description"] != "Ours.", "a remove is not the same action as an update"


def test_overlay_text_is_commented_and_reads_back() -> None:
    target = edit(lambda t: t["schemas"]["a"]["anyOf"].pop())
    text = overlay_text(BASE, target, "1")
    assert text.startswith("# Intercom-Version 1: how its contract differs from openapi.yaml.\n")
    assert "  - target: $.schemas.a.anyOf[?@['$ref'] == '#/x']\n" in text
    assert same(apply_overlay(BASE, load(text)), target)


# -- the YAML writer and our prose ---------------------------------------------------------


@pytest.mark.parametrize(
    "value",
    [
        "2.16",
        "yes",
        "null",
        "",
        " padded ",
        "#/components/schemas/x",
        "a: b",
        "- item",
        "+353832345678",
        "0012",
        "Intercom\u2019s \u201cquotes\u201d",
        "line one\nline two\n",
        "line one\nline two",
        "trailing space \nnext",
        "word " * 40,
        "x" * 200,
        1,
        1.5,
        True,
        None,
        [],
        {},
        ["a", {"b": [1, {"c": None}]}, [1, 2]],
    ],
)
def test_every_value_reads_back_unchanged(value: Any) -> None:
    document = {"key": value, "list": [value], "nested": {"deeper": {"key": value}}}
    assert same(load(dump(document)), document)


def test_long_prose_is_folded_and_targets_are_not() -> None:
    sentence = "A sentence that goes on for rather a long time. " * 4
    text = dump({"description": sentence.strip(), "target": sentence.strip()}, unfolded={"target"})
    lines = text.splitlines()
    assert lines[0] == "description: >-"
    assert all(len(line) <= 90 for line in lines[:-1])
    assert lines[-1].startswith("target: A sentence")


def test_comments_are_kept_before_top_level_keys() -> None:
    text = "# head\nopenapi: 3.0.3\ninfo:\n  # inner comment\n  title: t\n\n# tail\nx-end: 1\n"
    comments = top_level_comments(text)
    assert comments == {"openapi": ["# head"], "x-end": ["# tail"]}
    rewritten = dump(load(text), comments)
    assert rewritten == "# head\nopenapi: 3.0.3\ninfo:\n  title: t\n\n# tail\nx-end: 1\n"


def test_unsupported_values_are_refused() -> None:
    with pytest.raises(EmitError):
        dump({"key": {1, 2}})


def test_prose_keywords_go_but_names_stay() -> None:
    document = {
        "description": "gone",
        "x-tags": ["gone"],
        "x-aliases": {"Unstable": "Preview"},
        "properties": {
            "description": {"type": "string", "title": "gone"},
            "title": {"type": "string", "example": "an example is data"},
        },
        "enum": [{"description": "data stays"}],
        "content": {
            "application/json": {
                "examples": {"named": {"summary": "gone", "description": "gone", "value": 1}}
            }
        },
    }
    strip(document)
    assert document == {
        "x-aliases": {"Unstable": "Preview"},
        "properties": {
            "description": {"type": "string"},
            "title": {"type": "string", "example": "an example is data"},
        },
        "enum": [{"description": "data stays"}],
        "content": {"application/json": {"examples": {"named": {"value": 1}}}},
    }


def test_our_examples_replace_published_ones_where_we_have_some() -> None:
    document: dict[str, Any] = {
        "properties": {"a": {"type": "string", "example": "theirs"}},
        "b": {"examples": {"x": {"value": 1}}},
        "c": {"example": "theirs"},
    }
    ours = {"properties": {"a": {"example": "ours"}}, "b": {"examples": {"y": {"value": 2}}}}
    graft(document, ours)
    assert document == {
        "properties": {"a": {"type": "string", "example": "ours"}},
        "b": {"examples": {"y": {"value": 2}}},
        "c": {"example": "theirs"},
    }


def test_responses_without_prose_get_a_placeholder_first() -> None:
    document: dict[str, Any] = {
        "paths": {
            "/a/b": {
                "post": {
                    "responses": {
                        "200": {"description": "Ours."},
                        "409": {"content": {}},
                        "500": {"$ref": "#/components/responses/Oops"},
                    }
                }
            }
        },
        "components": {"responses": {"Oops": {"content": {}}}},
    }
    described = describe_responses(document)
    assert described == ["/paths/~1a~1b/post/responses/409", "/components/responses/Oops"]
    conflict = document["paths"]["/a/b"]["post"]["responses"]["409"]
    assert list(conflict.items()) == [("description", PLACEHOLDER), ("content", {})]
    assert document["paths"]["/a/b"]["post"]["responses"]["200"] == {"description": "Ours."}


def test_our_prose_is_grafted_where_the_node_exists() -> None:
    document: dict[str, Any] = {"properties": {"a": {"type": "string"}}}
    ours = {
        "description": "Ours.",
        "properties": {"a": {"description": "A."}, "b": {"description": "B."}},
    }
    graft(document, ours)
    assert document == {
        "properties": {"a": {"type": "string", "description": "A."}},
        "description": "Ours.",
    }
    assert list(reorder(document, ours)) == ["description", "properties"]


# -- bounded inputs ------------------------------------------------------------------------

LAUGHS = "\n".join(
    [
        "openapi: 3.0.1",
        "info: {version: '2.13'}",
        'a0: &a0 ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]',
        *(f"a{n}: &a{n} [" + ", ".join([f"*a{n - 1}"] * 10) + "]" for n in range(1, 10)),
        "paths: {/phone_call_redirects: {post: {responses: {'200': *a9}}}}",
    ]
)


@pytest.mark.parametrize("check", [["--check"], []])
def test_command_refuses_yaml_aliases(tmp_path: Path, check: list[str]) -> None:
    source = tmp_path / "laughs.yaml"
    source.write_text(LAUGHS)
    started = time.perf_counter()
    result = CliRunner().invoke(import_spec, ["2.13", str(source), "--root", str(ROOT), *check])
    assert time.perf_counter() - started < 5
    assert result.exit_code == 2, result.output
    assert "refused" in result.output
    assert "anchors and aliases" in result.output
    assert "Traceback" not in result.output


def test_command_refuses_a_description_too_large(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from intercom_phone_switch import _documents

    monkeypatch.setattr(_documents, "MAX_BYTES", 1000)
    args = ["2.13", str(FIXTURES / "2.13.yaml"), "--root", str(ROOT), "--check"]
    result = CliRunner().invoke(import_spec, args)
    assert result.exit_code == 2, result.output
    assert "documents larger than 1,000 bytes are refused" in result.output


def test_a_url_is_read_within_bounds(monkeypatch: pytest.MonkeyPatch) -> None:
    from intercom_phone_switch import _documents
    from intercom_phone_switch._documents import DocumentRefused

    monkeypatch.setattr(_documents, "MAX_BYTES", 1000)

    def handler(request: httpx.Request) -> httpx.Response:
        chunks = [b"x" * 600] * 100  # no Content-Length: the body is counted as it comes
        return httpx.Response(200, stream=httpx.ByteStream(b"".join(chunks)))

    def declared(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, headers={"Content-Length": "5000"}, content=b"x" * 5000)

    for answer in (handler, declared):
        with (
            httpx.Client(transport=httpx.MockTransport(answer)) as client,
            pytest.raises(DocumentRefused, match="larger than 1,000 bytes"),
        ):
            read_source("https://example.test/big.yaml", client=client)


# -- the overlay writer keeps what was written ---------------------------------------------


def test_writer_tells_items_with_nested_members_apart_by_their_scalars() -> None:
    base = copy.deepcopy(BASE)
    base["schemas"]["a"]["anyOf"].append({"type": "array", "items": {"type": "string"}})
    target = copy.deepcopy(base)
    target["schemas"]["a"]["anyOf"].pop()
    (action,) = actions(base, target, "1")
    assert action["target"] == "$.schemas.a.anyOf[?@.type == 'array']"


def test_writer_keeps_a_previous_removal_and_removes_the_rest_separately() -> None:
    base = copy.deepcopy(BASE)
    base["schemas"]["a"]["anyOf"].append({"type": "array", "items": {"type": "string"}})
    target = copy.deepcopy(base)
    del target["schemas"]["a"]["anyOf"][1:]
    previous = {
        "actions": [
            {
                "target": "$.schemas.a.anyOf[?@['$ref'] == '#/x' || @.type == 'integer']",
                "description": "Hand-worded: 1 admits strings only.",
                "remove": True,
            }
        ]
    }
    found = actions(base, target, "1", previous)
    assert [(a["target"], a["description"]) for a in found] == [
        (
            "$.schemas.a.anyOf[?@['$ref'] == '#/x' || @.type == 'integer']",
            "Hand-worded: 1 admits strings only.",
        ),
        ("$.schemas.a.anyOf[?@.type == 'array']", "1 does not have these anyOf items."),
    ]
    assert same(apply_overlay(base, {"overlay": "1.0.0", "actions": found}), target)
    too_much = {"actions": [{"target": "$.schemas.a.anyOf[?@.type == 'string']", "remove": True}]}
    (action,) = actions(base, target, "1", too_much)
    assert "string" not in action["target"], "a previous removal of what stays is not kept"


# -- staging -------------------------------------------------------------------------------


def test_staging_without_generation_writes_whole_files_or_nothing(tmp_path: Path) -> None:
    from codegen.staging import Stopped, apply

    root = copy_project(tmp_path / "project")
    before = snapshot(root)
    broken = (root / "overlays" / "2.13.yaml").read_text().replace('version: "2.13"', "x: 1")
    with pytest.raises(Stopped):
        apply(root, {"overlays/2.13.yaml": broken}, generate=False)
    assert snapshot(root) == before
    text = (root / "overlays" / "2.13.yaml").read_text() + "\n"
    assert apply(root, {"overlays/2.13.yaml": text}, generate=False) == ["overlays/2.13.yaml"]
    assert (root / "overlays" / "2.13.yaml").read_text() == text
    assert not list(root.rglob(".*.partial"))


@pytest.mark.generator
def test_staging_removes_the_package_of_a_version_gone(tmp_path: Path) -> None:
    from codegen.staging import apply

    root = copy_project(tmp_path / "project", with_generated=True)
    (oldest,) = [spec for spec in build(root) if spec.version == VERSIONS[0]]
    assert oldest.overlay is not None
    overlay = f"overlays/{oldest.overlay.name}"
    changed = apply(root, {}, [overlay])
    package = root / "generated" / "intercom_phone_switch_generated" / oldest.module
    assert not package.exists()
    assert overlay in changed
    assert "generated/intercom_phone_switch_generated/registry.py" in changed
    registry = (root / "generated" / "intercom_phone_switch_generated" / "registry.py").read_text()
    assert f'"{VERSIONS[0]}": "{oldest.module}"' not in registry


def test_a_rename_in_an_overlay_version_is_declared_in_its_overlay(tmp_path: Path) -> None:
    root = copy_project(tmp_path / "project")
    renamed = preview_of(description(RENAMED))
    with pytest.raises(StableNamesMissing) as stopped:
        plan_import(root, "Preview", renamed)
    message = str(stopped.value)
    assert "add to overlays/Preview.yaml" in message
    snippet = message[message.index("    actions:") : message.index("\n\nThen run")]
    (action,) = load("\n".join(line[4:] for line in snippet.splitlines()))["actions"]
    assert action["update"] == {"phone": "phone_number"}
    action["description"] = "Preview sends the phone as phone_number."
    overlay = root / "overlays" / "Preview.yaml"
    written = load(overlay.read_text())
    written["actions"].append(action)
    overlay.write_text(dump(written))
    result = plan_import(root, "Preview", renamed)
    write(root, result)
    kept = load(overlay.read_text())["actions"]
    assert action in kept, "the declaration and its wording stay in the overlay"
    (preview,) = [spec for spec in build(root) if spec.version == "Preview"]
    declared = preview.document["paths"]["/phone_call_redirects"]["post"]["x-stable-names"]
    assert declared["request"]["phone"] == "phone_number"
    # What we wrote of the phone follows the declared field: its prose, and the request
    # examples (which the version accepts).
    request = preview.document["components"]["schemas"]["create_phone_switch_request"]
    ours = stored_document()["components"]["schemas"]["create_phone_switch_request"]
    described = request["properties"]["phone_number"]["description"]
    assert described == ours["properties"]["phone"]["description"]
    body = preview.document["paths"]["/phone_call_redirects"]["post"]["requestBody"]
    examples = body["content"]["application/json"]["examples"]
    assert examples
    for example in examples.values():
        assert "phone_number" in example["value"]
        assert "phone" not in example["value"]
    assert plan_import(root, "Preview", renamed).changes(root) == []
