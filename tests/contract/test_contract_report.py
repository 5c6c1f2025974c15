"""The run's account: one line per version, and a JUnit report CI systems can read."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections import Counter
from pathlib import Path

import pytest

from intercom_phone_switch.contract.report import details, summary_line, write_junit
from intercom_phone_switch.contract.results import (
    POSITIVE_CHECK,
    SCHEMA_CHECK,
    CheckFailure,
    Verdict,
    VersionResult,
)
from intercom_phone_switch.contract.safety import SmsTally
from tests.versions import LATEST

pytestmark = pytest.mark.contract


def passing() -> VersionResult:
    return VersionResult(
        version=LATEST,
        target="embedded fake",
        seed=7,
        cases_by_phase=Counter({"examples": 3, "coverage": 10, "fuzzing": 20}),
        requests=35,
        statuses=Counter({200: 5, 400: 30}),
        credentialed=Counter({200: 5, 400: 28}),
        positive=Counter({200: 5}),
        passed=Counter({"not_a_server_error": 33, "negative_data_rejection": 30}),
        seconds=1.25,
    )


def failing() -> VersionResult:
    result = passing()
    result.version = "2.7"
    result.failed["response_schema_conformance"] = 2
    result.failures[("response_schema_conformance", "Response violates schema")] = CheckFailure(
        "response_schema_conformance",
        "Response violates schema",
        "'url' is required",
        2,
        ["curl -X POST http://127.0.0.1/phone_call_redirects"],
    )
    return result


def test_the_summary_line_counts_what_was_tested() -> None:
    line = summary_line(passing())

    assert line.startswith(
        f"{LATEST} vs embedded fake: 33 cases (examples 3, coverage 10, fuzzing 20)"
    )
    assert "35 requests, 63 checks, 0 failures [200x5 400x30] in 1.2s" in line


def test_a_run_that_tested_nothing_is_not_ok() -> None:
    result = VersionResult(version=LATEST, target="x", seed=1)

    assert not result.ok
    assert "nothing was tested" in details(result)
    assert "0 cases" in summary_line(result)


def test_the_sms_account_is_part_of_the_line() -> None:
    result = passing()
    result.sms = SmsTally(sent=4, replaced=3, dropped=9, blocked=1, cap_reached=False)

    assert result.ok
    line = summary_line(result)
    assert "4 could-text requests sent, 3 phones replaced, 9 cases dropped" in line
    assert "SMS cap" not in line


def test_a_version_the_cap_cut_short_is_not_kept() -> None:
    result = passing()
    result.sms = SmsTally(sent=4, replaced=3, dropped=9, blocked=1, cap_reached=True, over_cap=2)
    result.cut_short = True
    result.stop_reason = "interrupted"

    assert not result.ok
    assert result.verdict is Verdict.CUT_SHORT
    line = summary_line(result)
    assert "SMS cap reached" in line
    assert "not run to its end, so not kept" in line


def test_a_run_no_request_with_the_token_reached_is_not_kept() -> None:
    """A proxy that drops the Authorization header (or credentials in the URL, which
    replace it with Basic auth): every answer is a 401 to some other credentials."""
    result = passing()
    result.statuses = Counter({401: 33})
    result.requests = 33
    result.credentialed = Counter()

    assert not result.ok
    assert result.verdict is Verdict.REFUSED
    assert "none of the 33 answers was to a request carrying the access token" in (
        result.credentials_refused or ""
    )
    assert result.nothing_checked


def test_checks_never_exercised_are_skipped_never_passed(tmp_path: Path) -> None:
    result = passing()
    result.statuses = Counter({400: 30, 401: 3})
    result.positive = Counter({400: 4})
    result.texts_nobody = True
    result.passed.update({POSITIVE_CHECK: 4, SCHEMA_CHECK: 33})
    result.enabled_checks = ("not_a_server_error", POSITIVE_CHECK, SCHEMA_CHECK, "unused")
    path = tmp_path / "contract.xml"

    write_junit([result], path)

    assert result.ok
    assert set(result.skipped_checks) == {POSITIVE_CHECK, SCHEMA_CHECK, "unused"}
    assert "no well-formed request was accepted (2xx)" in result.skipped_checks[POSITIVE_CHECK]
    assert "could send an SMS" in result.skipped_checks[SCHEMA_CHECK]
    assert "never ran" in result.skipped_checks["unused"]
    root = ET.parse(path).getroot()
    assert root.get("skipped") == "3"
    for name in (POSITIVE_CHECK, SCHEMA_CHECK, "unused"):
        skipped = root.find(f"testsuite/testcase[@name='{name}']/skipped")
        assert skipped is not None
        assert (skipped.get("message") or "").startswith("never exercised: ")
    assert root.find("testsuite/testcase[@name='not_a_server_error']/skipped") is None
    assert "never exercised, so skipped" in summary_line(result)


def test_a_failed_check_is_never_skipped() -> None:
    result = failing()
    result.statuses = Counter({400: 30})

    assert "response_schema_conformance" not in result.skipped_checks


def test_the_junit_report_has_a_suite_per_version(tmp_path: Path) -> None:
    skipped = VersionResult(version="Preview", target="x", seed=1, not_run="the SMS cap was spent")
    path = tmp_path / "out" / "contract.xml"

    write_junit([passing(), failing(), skipped], path)

    root = ET.parse(path).getroot()
    assert (root.get("tests"), root.get("failures"), root.get("skipped")) == ("8", "1", "1")
    first, second, third = root.findall("testsuite")
    assert first.get("name") == f"contract {LATEST}"
    properties = {item.get("name"): item.get("value") for item in first.iter("property")}
    assert (properties["cases"], properties["checks"], properties["seed"]) == ("33", "63", "7")
    assert [case.get("name") for case in first.findall("testcase")] == [
        "negative_data_rejection",
        "not_a_server_error",
        "run",
    ]
    failure = second.find("testcase[@name='response_schema_conformance']/failure")
    assert failure is not None
    assert "Response violates schema (2x)" in (failure.get("message") or "")
    assert "curl -X POST" in (failure.text or "")
    assert third.find("testcase/skipped") is not None
    assert "not run" in (third.findtext("system-out") or "")
