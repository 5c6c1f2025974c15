"""Taking Intercom's next version as a maintainer does: one import command, in a copy of
the project, from small descriptions of our own (fixtures/next/).

- an additive version (a new answer field, a widened custom attribute value, a newly
  documented error list) imports in one pass with no hand edit and becomes the default;
- a version that renames the request's phone stops the import, names the field and the
  declaration to write, and writes nothing; once declared, it imports and its seam
  sends the phone under the new name;
- any failure along the way leaves the project as it was.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from projects import (
    ADDITIVE,
    RENAMED,
    additions,
    copy_project,
    declaration_in,
    next_description,
    next_version,
    snapshot,
    stored_document,
)

from codegen.drift import differences
from codegen.effective import build
from codegen.emit import load
from codegen.import_command import import_spec
from codegen.prose import PLACEHOLDER
from intercom_phone_switch_generated.registry import LATEST_VERSION, VERSIONS

pytestmark = pytest.mark.generator

#: Run in a fresh interpreter with the copy's generated/ first on the path: what the
#: copy's registry and seams say.
IN_THE_COPY = r"""
import importlib, json, sys
from pathlib import Path

root = Path(sys.argv[1])
sys.path.insert(0, str(root / "generated"))
from intercom_phone_switch_generated import registry
from intercom_phone_switch_generated.seam_types import ErrorList, Switch, Undocumented

new = sys.argv[2]
accepted = {"type": "phone_call_redirect", "url": "http://via.intercom.io/msgr/1",
            "conversation_id": "512", "surprise": {"nested": [1]}}
in_progress = {"type": "error.list", "request_id": "r-409",
               "errors": [{"code": "phone_switch_in_progress", "message": "Busy"}]}
values = {"tags": ["gold", "vip"], "since": "2023-03-04", "score": 1.50}
seen = {"latest": registry.LATEST_VERSION, "versions": list(registry.VERSIONS), "seams": {}}
for version, module in registry.MODULES.items():
    seam = importlib.import_module(f"intercom_phone_switch_generated.{module}.seam")
    built = seam.request("+353832345678", values, version)
    switch = seam.answer(200, json.dumps(accepted).encode())
    conflict = seam.answer(409, json.dumps(in_progress).encode())
    seen["seams"][version] = {
        "version": seam.VERSION,
        "body": built.json,
        "same_values": all(built.json["custom_attributes"][k] is v for k, v in values.items())
        if "custom_attributes" in built.json else None,
        "headers": [list(pair) for pair in built.headers],
        "extra": dict(switch.extra) if isinstance(switch, Switch) else None,
        "phone": switch.phone if isinstance(switch, Switch) else None,
        "409": (
            [item.code for item in conflict.errors] if isinstance(conflict, ErrorList)
            else "undocumented" if isinstance(conflict, Undocumented) else repr(conflict)
        ),
    }
print(json.dumps(seen))
"""


def seams_in(root: Path, new: str) -> dict[str, Any]:
    check = subprocess.run(
        [sys.executable, "-c", IN_THE_COPY, str(root), new],
        capture_output=True,
        text=True,
        check=False,
        env={**os.environ, "PYTHONDONTWRITEBYTECODE": "1"},
        timeout=300,
    )
    assert check.returncode == 0, check.stderr
    seen: dict[str, Any] = json.loads(check.stdout)
    return seen


def run_import(root: Path, *args: str) -> Any:
    return CliRunner().invoke(import_spec, [*args, "--root", str(root)], terminal_width=200)


def test_an_additive_version_imports_in_one_pass(tmp_path: Path) -> None:
    root = copy_project(tmp_path / "project", with_generated=True)
    new = next_version()
    source = str(next_description(ADDITIVE, tmp_path))
    fresh = additions(stored_document())
    result = run_import(root, new, source)
    assert result.exit_code == 0, result.output
    assert f"{new} is newer than {LATEST_VERSION}: it becomes openapi.yaml" in result.output
    if fresh["409"]:
        assert "/responses/409: no prose of ours yet" in result.output
        assert "response 409" in result.output
        assert "status added" in result.output

    seen = seams_in(root, new)
    assert seen["latest"] == new, "the new version is the default"
    assert seen["versions"] == [*VERSIONS[:-1], new, VERSIONS[-1]]
    latest = seen["seams"][new]
    assert latest["version"] == new
    assert latest["extra"] == {"conversation_id": "512", "surprise": {"nested": [1]}}
    assert latest["409"] == ["phone_switch_in_progress"], "409 is a documented error list"
    assert latest["body"]["phone"] == "+353832345678"
    assert latest["same_values"] is True, "custom attribute values go out as given"
    assert latest["headers"] == [["Intercom-Version", new], ["Content-Type", "application/json"]]
    for version in VERSIONS:
        assert seen["seams"][version]["409"] in ("undocumented", ["phone_switch_in_progress"])
        if fresh["409"]:
            assert seen["seams"][version]["409"] == "undocumented", f"{version} gained a 409"
        assert "conversation_id" in seen["seams"][version]["extra"], "extra on every version"

    effective = {spec.version: spec.document for spec in build(root)}
    operation = effective[new]["paths"]["/phone_call_redirects"]["post"]
    conflict = operation["responses"]["409"]
    if fresh["409"]:
        assert conflict["description"] == PLACEHOLDER
    (example,) = conflict["content"]["application/json"]["examples"].values()
    assert example["value"]["errors"][0]["code"] == "phone_switch_in_progress"
    values = effective[new]["components"]["schemas"]["custom_attributes"]["additionalProperties"]
    assert {"type": "array", "items": {"type": "string"}} in values["anyOf"]

    assert differences(root) == [], "generated/ is what a fresh generation writes"
    again = run_import(root, new, source, "--check")
    assert again.exit_code == 0, again.output
    assert "every file is already what the import writes" in again.output


def test_a_rename_stops_the_import_and_says_what_to_declare(tmp_path: Path) -> None:
    root = copy_project(tmp_path / "project", with_generated=True)
    new = next_version()
    source = str(next_description(RENAMED, tmp_path))
    before = snapshot(root)
    stopped = run_import(root, new, source)
    assert stopped.exit_code == 1, stopped.output
    assert f"cannot import {new}; nothing was written." in stopped.output
    assert "request phone: the request has no property 'phone'" in stopped.output
    assert "phone_number" in stopped.output
    assert f"write overlays/{new}.yaml" in stopped.output
    assert "Traceback" not in stopped.output
    assert snapshot(root) == before, "nothing was written"

    # The declaration, as the message words it.
    declaration = declaration_in(stopped.output)
    assert load(declaration)["actions"][0]["update"] == {"phone": "phone_number"}
    (root / "overlays" / f"{new}.yaml").write_text(declaration)

    result = run_import(root, new, source)
    assert result.exit_code == 0, result.output
    assert f"deleted: overlays/{new}.yaml" in result.output, "the declaration moved in"
    seen = seams_in(root, new)
    assert seen["latest"] == new
    assert seen["seams"][new]["body"] == {
        "phone_number": "+353832345678",
        "custom_attributes": {"tags": ["gold", "vip"], "since": "2023-03-04", "score": 1.5},
    }
    for version in VERSIONS:
        assert "phone" in seen["seams"][version]["body"], f"{version} still sends phone"
    effective = {spec.version: spec.document for spec in build(root)}
    request = effective[new]["components"]["schemas"]["create_phone_switch_request"]
    assert request["properties"]["phone_number"]["pattern"] == r"^\+[1-9][0-9]{1,14}$", (
        "the E.164 correction follows the declared field"
    )
    older = load((root / "overlays" / f"{LATEST_VERSION}.yaml").read_text())
    assert {
        "target": "$.paths['/phone_call_redirects'].post['x-stable-names'].request",
        "description": f"In {LATEST_VERSION}, what carries the stable request names.",
        "update": {"phone": "phone"},
    } in older["actions"]
    assert differences(root) == []
    assert run_import(root, new, source, "--check").exit_code == 0


def test_a_failed_generation_writes_nothing(tmp_path: Path) -> None:
    root = copy_project(tmp_path / "project", with_generated=True)
    config = root / "generator-config.yml"
    config.write_text(config.read_text() + "  - python -c 'raise SystemExit(3)'\n")
    before = snapshot(root)
    result = run_import(root, next_version(), str(next_description(ADDITIVE, tmp_path)))
    assert result.exit_code == 1, result.output
    assert "generation failed" in result.output
    assert "Nothing was written" in result.output
    assert snapshot(root) == before
