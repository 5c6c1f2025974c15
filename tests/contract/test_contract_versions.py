"""Each version's run reads that version's contract, through ``spec.effective``, and no
other's: a new version that renames the phone field breaks nothing, in the runner, the
SMS guard or the command."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from click.testing import CliRunner

from intercom_phone_switch import spec
from intercom_phone_switch.cli import main
from intercom_phone_switch.contract import SmsBlocked, SmsPolicy, Target, run, run_version
from intercom_phone_switch.contract.runner import Settings
from intercom_phone_switch.contract.safety import SmsGuard
from intercom_phone_switch_generated.registry import LATEST_VERSION, VERSIONS

from .renamed import RENAMED, rename, renamed_phone, replace_documents
from .servers import misbehaving

pytestmark = pytest.mark.contract

TOKEN = "versions-token"
ALLOWED = ("+15005550006", "+12025550123")
SMALL = Settings(max_examples=5)
#: A version other than the latest: the first in the registry.
OTHER = VERSIONS[0]


@pytest.fixture
def specs(monkeypatch: pytest.MonkeyPatch) -> Iterator[pytest.MonkeyPatch]:
    """A monkeypatch whose changes to the effective specs no later test sees."""
    spec.effective.cache_clear()
    yield monkeypatch
    spec.effective.cache_clear()


def test_the_guard_reads_the_phone_field_of_its_own_version(specs: pytest.MonkeyPatch) -> None:
    renamed_phone(specs, LATEST_VERSION)
    contract = spec.effective(LATEST_VERSION)
    assert contract.request_field("phone") == RENAMED

    policy = SmsPolicy(ALLOWED, 5)  # built without reading any version's contract
    guard = SmsGuard.for_contract(policy, contract)
    body: dict[str, Any] = {RENAMED: "+353832345678", "custom_attributes": {}}

    assert guard.keep(body)
    guard.admit(body)
    assert body[RENAMED] in ALLOWED
    # The stable name is still taken for a phone: never sent, as the schema has no such field.
    stray = {"phone": "+353832345678"}
    assert not guard.keep(stray)
    with pytest.raises(SmsBlocked):
        guard.admit(stray)
    # A version that kept the name is guarded as before.
    other = SmsGuard.for_contract(policy, spec.effective(OTHER))
    plain = {"phone": "+353832345678"}
    other.admit(plain)
    assert plain["phone"] in ALLOWED


def test_a_renamed_field_in_the_latest_version_breaks_no_run(specs: pytest.MonkeyPatch) -> None:
    renamed_phone(specs, LATEST_VERSION)
    policy = SmsPolicy(ALLOWED, 1_000)

    with misbehaving("bad_request") as server:
        other, latest = run(
            [OTHER, LATEST_VERSION], Target.remote(server.url, TOKEN), settings=SMALL, sms=policy
        )

    for result in (other, latest):
        assert result.not_run is None
        assert result.cases > 0, result.problems
        assert result.sms is not None
        assert result.sms.sent > 0, "well-formed requests went out, their phone replaced"
        assert not [p for p in result.problems if "crash" in p or "KeyError" in p]


def test_a_run_reads_no_other_version_s_contract(specs: pytest.MonkeyPatch) -> None:
    read: list[str] = []

    def only(version: str, document: Any) -> Any:
        read.append(version)
        if version != OTHER:
            raise AssertionError(f"the run of {OTHER} read the contract of {version}")
        return document

    replace_documents(specs, only)
    policy = SmsPolicy(ALLOWED, 1_000)
    with misbehaving("bad_request") as server:
        (result,) = run([OTHER], Target.remote(server.url, TOKEN), settings=SMALL, sms=policy)
        single = run_version(OTHER, Target.remote(server.url, TOKEN), settings=SMALL)
        args = [
            "contract", "--base-url", server.url, "--token", TOKEN, "--version", OTHER,
            "--max-examples", "5", "--sms-allowlist", ALLOWED[0], "--max-sms", "1000",
        ]  # fmt: skip
        command = CliRunner().invoke(main, args)

    assert set(read) == {OTHER}
    assert result.cases > 0
    assert single.cases > 0
    assert "read the contract of" not in command.output, command.output
    assert command.exception is None or isinstance(command.exception, SystemExit)


def test_allowlisted_numbers_are_checked_against_each_version_asked_for(
    specs: pytest.MonkeyPatch,
) -> None:
    def strict(version: str, document: Any) -> Any:
        if version != LATEST_VERSION:
            return document
        changed = rename(document, "phone")  # a copy, the field as it was
        body = spec.resolve(
            changed["paths"][spec.PATH][spec.METHOD]["requestBody"]["content"]["application/json"][
                "schema"
            ],
            changed,
        )
        body["properties"]["phone"] = {"type": "string", "pattern": r"^\+44[0-9]{10}$"}
        return changed

    replace_documents(specs, strict)
    for target in (["--fake"], ["--base-url", "http://127.0.0.1:9", "--token", TOKEN]):
        result = CliRunner().invoke(
            main,
            [
                "contract",
                *target,
                "--version",
                f"{OTHER},{LATEST_VERSION}",
                "--sms-allowlist",
                ALLOWED[0],
                "--max-sms",
                "3",
            ],
        )

        assert result.exit_code == 2, result.output
        assert f"does not match the phone pattern of {LATEST_VERSION}" in result.output
