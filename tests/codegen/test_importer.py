"""Importing Intercom's published descriptions: extraction, prose, overlays, the command.

Intercom's own descriptions are read only through INTERCOM_OPENAPI_DIR (a folder with one
``<version>/api.intercom.io.yaml`` per version). Without it, the same tests run on our
fixtures under fixtures/, which have the shape of a published description: other paths
and components around the endpoint, prose (of our own), a dangling reference.
"""

from __future__ import annotations

import copy
import datetime
import functools
import json
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from click.testing import CliRunner

from codegen.effective import build, version_key
from codegen.emit import EmitError, dump, load, same, top_level_comments
from codegen.extract import SpecImportError, extract, read_source
from codegen.import_command import import_spec
from codegen.importer import load_description, plan_import, write
from codegen.overlay import apply_overlay
from codegen.overlay_writer import actions, overlay_text
from codegen.prose import graft, reorder, strip
from intercom_phone_switch._spec_diff import diff
from tests.versions import LATEST

ROOT = Path(__file__).resolve().parents[2]
FIXTURES = Path(__file__).resolve().parent / "fixtures"
CHANGED = FIXTURES / "changed" / "2.17.yaml"
#: The newest stable version of the fixtures' world, where changed/2.17.yaml is the next
#: version. Tests that import it start from the project as it was when this was its newest
#: stable version (``rewind``), whatever the project's newest is today.
FIXTURES_LATEST = "2.16"
PROJECT_INPUTS = ("openapi.yaml", "overlays", "generator-config.yml")
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


def copy_project(target: Path, with_generated: bool = False) -> Path:
    names = (*PROJECT_INPUTS, "generated") if with_generated else PROJECT_INPUTS
    target.mkdir(parents=True, exist_ok=True)
    for name in names:
        source = ROOT / name
        if source.is_dir():
            shutil.copytree(source, target / name, ignore=shutil.ignore_patterns("__pycache__"))
        else:
            shutil.copy2(source, target / name)
    return target


def rewind(root: Path, version: str = FIXTURES_LATEST) -> Path:
    """Make ``root``, a copy of the project, what it was while ``version`` was its newest
    stable version: that version's effective spec becomes openapi.yaml, the newer stable
    versions go, and every other overlay is written against it. Each remaining version
    keeps its contract. Nothing changes when ``version`` is already the stored one."""
    stored_path = root / "openapi.yaml"
    stored_text = stored_path.read_text(encoding="utf-8")
    if str(load(stored_text)["info"]["version"]) == version:
        return root
    documents = {spec.version: spec.document for spec in build(root)}
    stored = documents[version]
    stored_path.write_text(dump(stored, top_level_comments(stored_text)), encoding="utf-8")
    for other, document in documents.items():
        overlay = root / "overlays" / f"{other}.yaml"
        if other != "Preview" and version_key(other) >= version_key(version):
            overlay.unlink(missing_ok=True)
            continue
        previous = load(overlay.read_text(encoding="utf-8")) if overlay.is_file() else None
        overlay.write_text(overlay_text(stored, document, other, previous), encoding="utf-8")
    return root


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
    own_file = "openapi.yaml" if version == LATEST else f"overlays/{version}.yaml"
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


# -- a description whose endpoint changed ------------------------------------------------

CHANGED_ROWS_FROM_2_16 = [
    ("header Intercom-Version", "enum widened", "new values: 2.17", False),
    ("header Intercom-Version", "enum narrowed", "values gone: 1.0, 1.1, 1.2, 1.3, 1.4", True),
    ("header Intercom-Version", "default changed", "2.16 -> 2.17", False),
    ("request body: sms_consent", "field added", "required", True),
    ("response 200: phone", "field removed", "", True),
]


def rows(changes: Any) -> list[tuple[str, str, str, bool]]:
    return [(c.location, c.change, c.detail, c.breaking) for c in changes]


def test_a_newer_version_becomes_the_stored_spec(tmp_path: Path) -> None:
    root = rewind(copy_project(tmp_path))
    before = {spec.version: spec.document for spec in build(root)}
    result = plan_import(root, "2.17", description(CHANGED))
    assert result.promoted
    assert sorted(result.files) == sorted(
        ["openapi.yaml", *(f"overlays/{v}.yaml" for v in before if v != "2.17")]
    )
    write(root, result)
    after = {spec.version: spec.document for spec in build(root)}
    assert list(after) == [*list(before)[:-1], "2.17", "Preview"]
    for version, document in before.items():
        assert same(after[version], document), f"the contract of {version} changed"
    stored = load((root / "openapi.yaml").read_text())
    assert stored["info"]["version"] == "2.17"
    request = stored["components"]["schemas"]["create_phone_switch_request"]
    assert request["required"] == ["phone", "sms_consent"]
    assert request["properties"]["sms_consent"] == {"type": "boolean"}, "no published prose"
    assert "phone" not in stored["components"]["schemas"]["phone_switch"]["properties"]
    overlay = load((root / "overlays" / "2.16.yaml").read_text())
    schemas = "$.components.schemas"
    assert kinds(overlay) == [
        ("$.info", "update"),
        (f"{schemas}.intercom_version.enum", "remove"),
        (f"{schemas}.intercom_version", "update"),
        (f"{schemas}.create_phone_switch_request.properties.sms_consent", "remove"),
        (f"{schemas}.create_phone_switch_request.required", "remove"),
        (f"{schemas}.create_phone_switch_request", "update"),
        (f"{schemas}.phone_switch.properties", "update"),
    ]
    assert overlay["actions"][-1]["update"]["phone"]["description"] == (
        "The number the SMS went to. The live API leaves it out."
    ), "our prose travels into the overlay"
    assert rows(diff(before["2.16"], after["2.17"])) == CHANGED_ROWS_FROM_2_16
    assert plan_import(root, "2.17", description(CHANGED)).changes(root) == []
    for version in ("2.7", "2.13", "Preview"):
        again = plan_import(root, version, description(FIXTURES / f"{version}.yaml"))
        assert again.changes(root) == [], f"{version} no longer imports to its overlay"


def preview_of(document: dict[str, Any]) -> dict[str, Any]:
    """The changed fixture, published as Preview."""
    document["info"]["version"] = "Preview"
    version = document["components"]["schemas"]["intercom_version"]
    version["enum"] = [v for v in version["enum"] if v != "2.17"] + ["Preview"]
    version["default"] = version["example"] = "Preview"
    return document


def test_a_changed_endpoint_as_an_overlay(tmp_path: Path) -> None:
    root = rewind(copy_project(tmp_path))
    result = plan_import(root, "Preview", preview_of(description(CHANGED)))
    assert list(result.files) == ["overlays/Preview.yaml"]
    overlay = load(result.files["overlays/Preview.yaml"])
    schemas = "$.components.schemas"
    assert kinds(overlay) == [
        ("$.info", "update"),
        (f"{schemas}.intercom_version.enum", "remove"),
        (f"{schemas}.intercom_version", "update"),
        (f"{schemas}.create_phone_switch_request.properties", "update"),
        (f"{schemas}.create_phone_switch_request.required", "remove"),
        (f"{schemas}.create_phone_switch_request", "update"),
        (f"{schemas}.phone_switch.properties.phone", "remove"),
    ]
    assert overlay["actions"][2]["description"] == (
        "The header values Preview lists, and Preview as the default."
    ), "the description of an unchanged action is kept"
    assert overlay["actions"][3]["update"] == {"sms_consent": {"type": "boolean"}}
    assert overlay["actions"][5]["update"] == {"required": ["phone", "sms_consent"]}
    stored = load((root / "openapi.yaml").read_text())
    assert same(apply_overlay(stored, overlay), result.document)
    assert rows(diff(stored, result.document)) == [
        ("header Intercom-Version", "enum widened", "new values: Preview", False),
        ("header Intercom-Version", "enum narrowed", "values gone: 1.0, 1.1, 1.2, 1.3, 1.4", True),
        ("header Intercom-Version", "default changed", "2.16 -> Preview", False),
        ("request body: sms_consent", "field added", "required", True),
        ("response 200: phone", "field removed", "", True),
    ]


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
            "title": {"type": "string", "example": "gone"},
        },
        "enum": [{"description": "data stays"}],
    }
    strip(document)
    assert document == {
        "x-aliases": {"Unstable": "Preview"},
        "properties": {"description": {"type": "string"}, "title": {"type": "string"}},
        "enum": [{"description": "data stays"}],
    }


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


# -- adding a version end to end -----------------------------------------------------------

CHECK_IN_THE_COPY = r"""
import attrs, importlib, importlib.util, json, sys
from pathlib import Path

import httpx
from click.testing import CliRunner

root = Path(sys.argv[1])
# The copy's generated/ is a plain path entry, as in an editable install: put it first.
sys.path.insert(0, str(root / "generated"))

import intercom_phone_switch

from intercom_phone_switch.commands.versions import versions
from intercom_phone_switch_generated import registry

package = importlib.import_module("intercom_phone_switch_generated." + registry.MODULES["2.17"])
endpoint = importlib.import_module(package.__name__ + ".api.switch.create_phone_switch")
models = importlib.import_module(package.__name__ + ".models")
older = importlib.import_module("intercom_phone_switch_generated.v2_16.models")
sent = []


def handler(request):
    version = request.headers["Intercom-Version"]
    sent.append({"body": json.loads(request.content), "version": version})
    answer = {"type": "phone_call_redirect", "url": "http://via.intercom.io/msgr/1"}
    return httpx.Response(200, json=answer)


client = package.AuthenticatedClient(base_url="https://api.intercom.io", token="t")
client.set_httpx_client(
    httpx.Client(base_url="https://api.intercom.io", transport=httpx.MockTransport(handler))
)
body = models.PhoneSwitchRequest(phone="+353832345678", sms_consent=True)
answer = endpoint.sync(client=client, body=body, intercom_version="2.17")
try:
    models.PhoneSwitchRequest(phone="+353832345678")
    consent_required = False
except TypeError:
    consent_required = True
from intercom_phone_switch.contract import Settings, Target, run_version

contract = run_version("2.17", Target.embedded_fake(), settings=Settings(max_examples=25))
from intercom_phone_switch._versions import resolve

print(json.dumps({
    "facade": {
        "latest": intercom_phone_switch.LATEST_VERSION,
        "supports": "2.17" in intercom_phone_switch.SUPPORTED_VERSIONS,
        "serves": resolve("2.17"),
    },
    "contract": {"ok": contract.ok, "cases": contract.cases, "version": contract.version},
    "package": str(Path(package.__file__).parent),
    "versions": list(registry.VERSIONS),
    "latest": registry.LATEST_VERSION,
    "header": {v: registry.HEADER_VALUES[v] for v in ("1.0", "2.16", "2.17", "Unstable")},
    "sent": sent,
    "url": answer.url,
    "fields_2_17": sorted(f.name for f in attrs.fields(models.PhoneSwitch)),
    "fields_2_16": sorted(f.name for f in attrs.fields(older.PhoneSwitch)),
    "consent_required": consent_required,
    "versions_command": CliRunner().invoke(versions).output,
}))
"""


@pytest.mark.generator
def test_adding_a_version_end_to_end(tmp_path: Path) -> None:
    import schemathesis
    from openapi_spec_validator import validate

    root = rewind(copy_project(tmp_path / "project", with_generated=True))
    result = CliRunner().invoke(
        import_spec, ["2.17", str(CHANGED), "--root", str(root)], terminal_width=200
    )
    assert result.exit_code == 0, result.output
    assert "it becomes openapi.yaml" in result.output
    assert "regenerated generated/ for 12 versions" in result.output
    assert (
        root / "generated" / "intercom_phone_switch_generated" / "v2_17" / "openapi.json"
    ).is_file()

    check = subprocess.run(
        [sys.executable, "-c", CHECK_IN_THE_COPY, str(root)],
        capture_output=True,
        text=True,
        check=False,
        cwd=tmp_path,
        env={**os.environ, "COLUMNS": "200"},
    )
    assert check.returncode == 0, check.stderr
    seen = json.loads(check.stdout)
    assert seen["package"] == str(root / "generated" / "intercom_phone_switch_generated" / "v2_17")
    assert seen["versions"][-3:] == ["2.16", "2.17", "Preview"]
    assert seen["latest"] == "2.17"
    assert seen["header"] == {"1.0": "2.7", "2.16": "2.16", "2.17": "2.17", "Unstable": "Preview"}
    assert seen["sent"] == [
        {"body": {"phone": "+353832345678", "sms_consent": True}, "version": "2.17"}
    ]
    assert seen["url"] == "http://via.intercom.io/msgr/1"
    assert "phone" not in seen["fields_2_17"]
    assert "phone" in seen["fields_2_16"], "2.16 keeps its contract through its new overlay"
    assert seen["consent_required"] is True
    assert "2.17 (latest stable)" in seen["versions_command"]
    assert seen["facade"] == {"latest": "2.17", "supports": True, "serves": "2.17"}
    assert seen["contract"]["version"] == "2.17"
    assert seen["contract"]["cases"] > 0
    assert seen["contract"]["ok"] is True, "the embedded fake keeps the contract of 2.17"

    effective = {spec.version: spec.document for spec in build(root)}
    document = json.loads(json.dumps(effective["2.17"]))
    validate(document)
    schema = schemathesis.openapi.from_dict(document)
    (operation,) = [result.ok() for result in schema.get_all_operations()]
    assert operation.label == "POST /phone_call_redirects"
    request = httpx.Request("POST", "https://api.intercom.io/phone_call_redirects")
    good = httpx.Response(200, json={"type": "phone_call_redirect", "url": "u"}, request=request)
    bad = httpx.Response(200, json={"type": "phone_call_redirect"}, request=request)
    for response in (good, bad):
        response.elapsed = datetime.timedelta(0)
    operation.validate_response(good)
    with pytest.raises(AssertionError, match="url"):
        operation.validate_response(bad)
