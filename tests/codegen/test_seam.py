"""Every version's generated seam (``<module>/seam.py``) and the pure half of its endpoint
module, as the registry lists them: built from our templates (codegen/templates/)."""

from __future__ import annotations

import importlib
import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from intercom_phone_switch.spec import effective
from intercom_phone_switch_generated.registry import METHOD, MODULES, PATH, VERSIONS
from intercom_phone_switch_generated.seam_types import (
    ErrorItem,
    ErrorKey,
    ErrorList,
    Malformed,
    Request,
    Switch,
    Undocumented,
)

ROOT = Path(__file__).resolve().parents[2]
KIND = {"switch": Switch, "error_key": ErrorKey, "error_list": ErrorList}


def seam(version: str) -> ModuleType:
    return importlib.import_module(f"intercom_phone_switch_generated.{MODULES[version]}.seam")


def endpoint(version: str) -> ModuleType:
    return importlib.import_module(
        f"intercom_phone_switch_generated.{MODULES[version]}.api.switch.create_phone_switch"
    )


def operation(version: str) -> Any:
    return effective(version).operation


def stable(version: str) -> Any:
    return operation(version)["x-stable-names"]


def schema_name(node: Any) -> str:
    return str(node["$ref"]).rsplit("/", 1)[-1]


def answer_fields(version: str) -> list[str]:
    """The properties this version's accepted answer declares."""
    schemas = effective(version).document["components"]["schemas"]
    return sorted(schemas[stable(version)["answers"]["switch"]]["properties"])


def documented(version: str) -> dict[int, Any]:
    return {int(status): answer for status, answer in operation(version)["responses"].items()}


def kinds_of(version: str, status: int) -> set[type]:
    """The record types the spec says a ``status`` answer may become."""
    declared = {name: KIND[kind] for kind, name in stable(version)["answers"].items()}
    schema = documented(version)[status]["content"]["application/json"]["schema"]
    branches = schema.get("anyOf") or [schema]
    return {declared[schema_name(branch)] for branch in branches}


@pytest.mark.parametrize("version", VERSIONS)
def test_the_request_carries_the_stable_names_under_this_versions_fields(version: str) -> None:
    values: dict[str, object] = {
        "since": "2023-03-04",
        "at": "2023-03-04T09:46:14Z",
        "score": 1.50,
        "count": 10**20,
        "flag": True,
        "orders": {"type": "order.list", "instances": [{"id": "1", "created_at": 1}]},
    }
    built = seam(version).request("+353832345678", values, version)
    assert isinstance(built, Request)
    assert (built.method, built.path) == (METHOD.upper(), PATH)
    assert ("Intercom-Version", version) in built.headers
    assert ("Content-Type", "application/json") in built.headers
    names = stable(version)["request"]
    assert built.json[names["phone"]] == "+353832345678"
    sent = built.json[names["custom_attributes"]]
    assert sent == values
    assert sent is not values, "the caller's mapping is copied, not kept"
    assert all(sent[name] is value for name, value in values.items()), "values exactly as given"
    without = seam(version).request("+353832345678", None, "Unstable")
    assert list(without.json) == [names["phone"]]
    assert ("Intercom-Version", "Unstable") in without.headers, "the header goes as given"


@pytest.mark.parametrize("version", VERSIONS)
def test_every_documented_example_is_read_as_its_kind(version: str) -> None:
    assert version == seam(version).VERSION
    assert frozenset(documented(version)) == endpoint(version).DOCUMENTED_STATUSES
    checked = 0
    for status, answer in documented(version).items():
        media = answer["content"]["application/json"]
        for example in media.get("examples", {}).values():
            read = seam(version).answer(status, json.dumps(example["value"]).encode())
            assert type(read) in kinds_of(version, status), (status, example)
            checked += 1
    assert checked >= len(documented(version))


@pytest.mark.parametrize("version", VERSIONS)
def test_answers_in_stable_names(version: str) -> None:
    names = stable(version)["response"]
    body: dict[str, object] = {
        names["type"]: "phone_call_redirect",
        names["url"]: "http://via.intercom.io/msgr/1",
    }
    if names["phone"] is not None:
        body[names["phone"]] = "+353832345678"
    # A field the version does not declare: it reaches extra as parsed JSON.
    undeclared = "surprise_" + "_".join(answer_fields(version))
    body[undeclared] = {"nested": [1, "2"]}
    switch = seam(version).answer(200, json.dumps(body).encode())
    assert switch == Switch(
        type="phone_call_redirect",
        url="http://via.intercom.io/msgr/1",
        phone="+353832345678" if names["phone"] is not None else None,
        extra={undeclared: {"nested": [1, "2"]}},
    )
    with pytest.raises(TypeError):
        switch.extra[undeclared] = "other"  # type: ignore[index]
    bare = seam(version).answer(200, json.dumps({**body, undeclared: None}).encode())
    assert isinstance(bare, Switch)
    assert bare.extra == {undeclared: None}
    error_list = {
        "type": "error.list",
        "request_id": "r1",
        "errors": [{"code": "unauthorized", "message": "Access Token Invalid", "field": None}],
    }
    assert seam(version).answer(401, json.dumps(error_list).encode()) == ErrorList(
        request_id="r1",
        errors=(ErrorItem(code="unauthorized", message="Access Token Invalid", field=None),),
    )
    landline = seam(version).answer(422, b'{"error_key": "landline_phone"}')
    assert landline == ErrorKey(error_key="landline_phone", message=None)


@pytest.mark.parametrize("version", VERSIONS)
def test_an_undocumented_status_is_said_so(version: str) -> None:
    statuses = documented(version)
    for status in (100, 201, 302, 404, 418, 500, 503, 999):
        if status not in statuses:
            assert seam(version).answer(status, b"<html>") == Undocumented()
            assert endpoint(version).parse_response(status_code=status, content=b"") is None


@pytest.mark.parametrize("version", VERSIONS)
@pytest.mark.parametrize(
    "body",
    [
        b"",
        b"<html>",
        b"\xff\xfe",
        b"[]",
        b"null",
        b'{"type": "phone_call_redirect"}',
        b'{"type": "phone_call_redirect", "url": 7}',
        b'{"type": "something_else", "url": "u"}',
        b"[" * 100_000,
    ],
)
def test_a_documented_status_with_another_shape_is_malformed(version: str, body: bytes) -> None:
    with pytest.raises(Malformed) as raised:
        seam(version).answer(200, body)
    assert raised.value.detail.startswith("status 200: ")


@pytest.mark.parametrize("version", VERSIONS)
def test_error_shapes_are_checked_too(version: str) -> None:
    for status in documented(version):
        if status >= 400:
            with pytest.raises(Malformed, match=f"status {status}"):
                seam(version).answer(status, b'{"errors": "not a list"}')
    with pytest.raises(Malformed, match=r"\$\.errors\[0\]\.code: expected string"):
        seam(version).answer(401, b'{"type": "error.list", "errors": [{"code": 5}]}')


#: The facade's Protocol of a version's seam (facade/intercom_phone_switch/_seam.py owns
#: its own copy), and one assignment per registry module: mypy --strict must accept all.
PROTOCOL = """
from __future__ import annotations

from collections.abc import Mapping
from typing import Protocol

from intercom_phone_switch_generated.seam_types import Answer, Request


class VersionSeam(Protocol):
    @property
    def VERSION(self) -> str: ...

    def request(
        self, phone: str, custom_attributes: Mapping[str, object] | None, intercom_version: str
    ) -> Request: ...

    def answer(self, status: int, content: bytes) -> Answer: ...
"""


def test_every_seam_satisfies_the_protocol_under_mypy_strict(tmp_path: Path) -> None:
    lines = [textwrap.dedent(PROTOCOL)]
    for version, module in MODULES.items():
        lines.append(f"from intercom_phone_switch_generated.{module} import seam as {module}")
        lines.append(f"{module}_seam: VersionSeam = {module}  # {version}")
    snippet = tmp_path / "seams.py"
    snippet.write_text("\n".join(lines) + "\n")
    config = tmp_path / "mypy.ini"
    config.write_text("[mypy]\nstrict = True\nwarn_unreachable = True\n")
    check = subprocess.run(
        [
            sys.executable,
            "-m",
            "mypy",
            "--config-file",
            str(config),
            "--cache-dir",
            str(tmp_path / "cache"),
            str(snippet),
        ],
        capture_output=True,
        text=True,
        env={**os.environ, "MYPYPATH": str(ROOT / "generated")},
        cwd=tmp_path,
        timeout=600,
        check=False,
    )
    assert check.returncode == 0, check.stdout + check.stderr
