"""Intercom's next version, end to end: imported into a copy of the project, then used.

Two scenarios, each imported once into its own copy (from our fixtures, never Intercom's
files) with the maintainer's import command:

- ``additive``: a new optional answer field (``conversation_id``), custom attribute values
  widened to arrays of strings, a newly documented 409 error list;
- ``renamed``: the same, with the request's ``phone`` renamed ``phone_number``, imported
  after declaring the mapping as the import's stop message says.

Then, in fresh interpreters whose path starts with the copy's ``generated/`` (the facade
and the fake from the checkout): the facade on every version of the copy's registry
against the embedded fake (``facade_in_copy.py``, one process per scenario), and the
command line (``versions``, ``contract --fake``, ``demo``) through
``python -m intercom_phone_switch``. Versions come from the registries, never literals.
"""

from __future__ import annotations

import functools
import json
import os
import re
import subprocess
import sys
from dataclasses import dataclass
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
    stored_document,
)

from codegen.effective import build
from codegen.import_command import import_spec
from tests.versions import LATEST, NEXT, VERSION_COUNT

# Runs the generator, and many processes: not in the other Pythons' sessions.
pytestmark = [pytest.mark.generator, pytest.mark.system]

HERE = Path(__file__).resolve().parent
FACADE_IN_COPY = HERE / "facade_in_copy.py"
#: Seconds any one process of these tests may take (a contract run of every version is
#: the longest, a few seconds on a quiet machine).
PROCESS_TIMEOUT = 240
#: Examples per phase of the contract run: every phase runs on every version, bounded.
CONTRACT_EXAMPLES = "10"


@dataclass(frozen=True)
class Scenario:
    """A copy of the project with the next version imported."""

    name: str
    root: Path
    #: Which of the additive changes the stored spec lacked before the import.
    fresh: dict[str, bool]

    @property
    def renamed(self) -> bool:
        return self.name == "renamed"

    def environment(self) -> dict[str, str]:
        """The checkout's interpreter, with the copy's generated/ first on the path."""
        kept = {
            key: value
            for key, value in os.environ.items()
            if not key.startswith(("INTERCOM_", "PYTHON"))
        }
        return {
            **kept,
            "PYTHONPATH": str(self.root / "generated"),
            "PYTHONDONTWRITEBYTECODE": "1",
            "COLUMNS": "200",
        }

    def run(self, *command: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, *command],
            capture_output=True,
            text=True,
            check=False,
            cwd=self.root.parent,
            env=self.environment(),
            timeout=PROCESS_TIMEOUT,
        )

    def cli(self, *arguments: str) -> subprocess.CompletedProcess[str]:
        """The ``intercom-phone-switch`` command, as its console entry runs it."""
        return self.run("-m", "intercom_phone_switch", *arguments)

    @functools.cached_property
    def seen(self) -> dict[str, Any]:
        """What the facade and the fake did on every version (facade_in_copy.py)."""
        result = self.run(str(FACADE_IN_COPY), str(self.root))
        assert result.returncode == 0, result.stderr
        seen: dict[str, Any] = json.loads(result.stdout)
        assert seen["registry"].startswith(seen["copy"]), "the copy's registry was used"
        return seen

    @functools.cached_property
    def documents(self) -> dict[str, dict[str, Any]]:
        """Every version's effective spec in the copy."""
        return {spec.version: spec.document for spec in build(self.root)}


def run_import(root: Path, source: Path) -> Any:
    return CliRunner().invoke(
        import_spec, [NEXT, str(source), "--root", str(root)], terminal_width=200
    )


@pytest.fixture(scope="module")
def additive(tmp_path_factory: pytest.TempPathFactory) -> Scenario:
    base = tmp_path_factory.mktemp("additive")
    fresh = additions(stored_document())
    root = copy_project(base / "project", with_generated=True)
    result = run_import(root, next_description(ADDITIVE, base))
    assert result.exit_code == 0, result.output
    return Scenario("additive", root, fresh)


@pytest.fixture(scope="module")
def renamed(tmp_path_factory: pytest.TempPathFactory) -> Scenario:
    base = tmp_path_factory.mktemp("renamed")
    fresh = additions(stored_document())
    root = copy_project(base / "project", with_generated=True)
    source = next_description(RENAMED, base)
    stopped = run_import(root, source)
    assert stopped.exit_code == 1, stopped.output
    (root / "overlays" / f"{NEXT}.yaml").write_text(declaration_in(stopped.output))
    result = run_import(root, source)
    assert result.exit_code == 0, result.output
    return Scenario("renamed", root, fresh)


@pytest.fixture(scope="module", params=["additive", "renamed"])
def scenario(request: pytest.FixtureRequest) -> Scenario:
    found: Scenario = request.getfixturevalue(request.param)
    return found


def test_the_copy_has_the_next_version_as_its_default(scenario: Scenario) -> None:
    seen = scenario.seen
    assert seen["versions"].index(NEXT) == seen["versions"].index(LATEST) + 1
    assert len(seen["versions"]) == VERSION_COUNT + 1
    assert seen["latest"] == NEXT, "the facade's LATEST_VERSION is the new version"
    default = seen["default"]
    assert default["client"] == NEXT, "a client left at its default uses the new version"
    assert default["result"]["class"] == "PhoneSwitch", default["result"]
    assert [request["version"] for request in default["requests"]] == [NEXT]
    assert default["fake_default"] == NEXT
    assert (default["bare_status"], default["bare_spec_version"]) == (200, NEXT), (
        "the fake serves a request without Intercom-Version with the new version"
    )


def test_a_phone_switch_goes_through_on_every_version(scenario: Scenario) -> None:
    calls = scenario.seen["calls"]
    assert list(calls) == scenario.seen["versions"]
    for version, seen in calls.items():
        plain = seen["plain"]
        assert plain["class"] == "PhoneSwitch", (version, plain)
        assert (plain["version"], plain["attempts"]) == (version, 1)
        (request,) = seen["plain_wire"]
        assert request["version"] == version
        assert request["body"] == {
            seen["phone_field"]: plain["phone"],
            "custom_attributes": {"tier": "gold"},
        }, version
        assert seen["outbox"] == [
            {"phone": plain["phone"], "version": version, "spec_version": version}
        ]
        assert scenario.seen["async"][version]["class"] == "PhoneSwitch", version


def test_the_new_answer_field_reaches_the_caller(scenario: Scenario) -> None:
    schemas = scenario.documents[NEXT]["components"]["schemas"]
    example = schemas["phone_switch"]["properties"]["conversation_id"]["example"]
    calls = scenario.seen["calls"]
    assert calls[NEXT]["plain"]["extra"] == {"conversation_id": example}
    assert scenario.seen["async"][NEXT]["extra"] == {"conversation_id": example}
    if scenario.fresh["conversation_id"]:
        for version in scenario.seen["versions"]:
            if version != NEXT:
                assert calls[version]["plain"]["extra"] == {}, f"{version} gained a field"


def test_the_widened_value_type_is_sent_as_given(scenario: Scenario) -> None:
    calls = scenario.seen["calls"]
    assert calls[NEXT]["list"]["class"] == "PhoneSwitch", calls[NEXT]["list"]
    assert calls[NEXT]["contact"] == {"tags": ["gold", "vip"]}
    if scenario.fresh["array"]:
        refused = calls[LATEST]["list"]
        assert refused["class"] == "InvalidCustomAttributes", refused
        assert (refused["outcome"], refused["sms_sent"], refused["attempts"]) == (
            "refused",
            False,
            0,
        )
        assert calls[LATEST]["list_requests"] == 0, "refused before sending"


def test_the_new_status_is_a_typed_refusal_without_retry(scenario: Scenario) -> None:
    conflict = scenario.seen["calls"][NEXT]["409"]
    assert conflict is not None, "the fake can answer the newly documented 409"
    error = conflict["result"]
    assert error["class"] == "RequestRejected", error
    assert (error["status"], error["codes"]) == (409, ["phone_switch_in_progress"])
    assert (error["outcome"], error["sms_sent"]) == ("refused", False)
    assert "undocumented" not in error["message"]
    assert error["attempts"] == 1
    assert conflict["requests"] == 1, "the fake saw one request: no retry"
    assert (conflict["applied"], conflict["sms_recorded"], conflict["outbox"]) == (
        True,
        False,
        0,
    )
    if scenario.fresh["409"]:
        for version in scenario.seen["versions"]:
            if version == NEXT:
                continue
            other = scenario.seen["calls"][version]["409"]
            assert not other["applied"], f"{version} does not document a 409"
            assert other["result"]["class"] == "PhoneSwitch", (version, other["result"])


def test_the_phone_is_checked_before_sending_on_every_version(scenario: Scenario) -> None:
    for version, seen in scenario.seen["calls"].items():
        invalid = seen["invalid"]
        assert invalid["class"] == "InvalidPhoneNumber", (version, invalid)
        assert (invalid["outcome"], invalid["attempts"], seen["invalid_requests"]) == (
            "refused",
            0,
            0,
        ), version


def test_the_renamed_field_goes_out_under_its_new_name(renamed: Scenario) -> None:
    calls = renamed.seen["calls"]
    assert calls[NEXT]["phone_field"] == "phone_number"
    (request,) = calls[NEXT]["plain_wire"]
    assert set(request["body"]) == {"phone_number", "custom_attributes"}
    for version in renamed.seen["versions"]:
        if version != NEXT:
            assert calls[version]["phone_field"] == "phone", version
    refused = renamed.seen["stable_names"][NEXT]
    assert refused["status"] == 400, refused
    assert [error["code"] for error in refused["body"]["errors"]] == ["parameter_invalid"]
    assert renamed.seen["stable_names"][LATEST]["status"] == 200


def test_the_renamed_field_keeps_our_prose_and_examples(renamed: Scenario) -> None:
    """What the stored spec says of the phone (its description, its example, the request
    examples) follows the declared field, so that the new version's own examples are
    requests it accepts."""
    document = renamed.documents[NEXT]
    older = renamed.documents[LATEST]
    request = document["components"]["schemas"]["create_phone_switch_request"]
    before = older["components"]["schemas"]["create_phone_switch_request"]["properties"]
    field = request["properties"]["phone_number"]
    assert field["description"] == before["phone"]["description"]
    assert field["example"] == before["phone"]["example"]
    operation = document["paths"]["/phone_call_redirects"]["post"]
    examples = operation["requestBody"]["content"]["application/json"]["examples"]
    assert examples
    for name, example in examples.items():
        assert "phone_number" in example["value"], name
        assert "phone" not in example["value"], name


def versions_row(output: str, version: str) -> str | None:
    found = re.search(rf"^│ {re.escape(version)}(?: \(latest stable\))?\s+│.*$", output, re.M)
    return None if found is None else found.group(0)


def test_versions_lists_every_version(scenario: Scenario) -> None:
    result = scenario.cli("versions")
    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stderr
    assert f"{NEXT} (latest stable)" in result.stdout
    assert f"against {NEXT})" in result.stdout
    for version in scenario.seen["versions"]:
        assert versions_row(result.stdout, version) is not None, version


def test_contract_fake_keeps_every_version(scenario: Scenario) -> None:
    result = scenario.cli("contract", "--fake", "--max-examples", CONTRACT_EXAMPLES)
    shown = result.stdout + result.stderr
    assert result.returncode == 0, shown
    assert "Traceback" not in shown
    versions = scenario.seen["versions"]
    assert (
        f"Contract kept by {len(versions)} of {len(versions)} versions: {', '.join(versions)}."
        in result.stdout
    )
    for version in versions:
        line = re.search(rf"^{re.escape(version)} vs embedded fake: .*$", result.stdout, re.M)
        assert line is not None, version
        assert " 0 failures " in line.group(0), line.group(0)
        assert "200x" in line.group(0), f"{version}: no request was accepted: {line.group(0)}"
        assert "never exercised" not in line.group(0), line.group(0)


def test_demo_goes_through_every_version(scenario: Scenario) -> None:
    result = scenario.cli("demo")
    shown = result.stdout + result.stderr
    assert result.returncode == 0, shown
    assert "Traceback" not in shown
    for version in scenario.seen["versions"]:
        line = re.search(rf"^  {re.escape(version)}\s+(\S+)", result.stdout, re.M)
        assert line is not None, version
        assert line.group(1) == "PhoneSwitch", line.group(0)
    assert "steps behaved as expected." in result.stdout
