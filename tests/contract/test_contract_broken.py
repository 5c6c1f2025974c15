"""The suite can fail: a fake with one defect breaks the contract, and the right check says so."""

from __future__ import annotations

import pytest

from intercom_phone_switch.contract.results import VersionResult
from intercom_phone_switch.contract.runner import Target, run_version
from intercom_phone_switch_generated.registry import LATEST_VERSION

from .broken import BROKEN, TOKEN, broken_app

pytestmark = pytest.mark.contract


@pytest.mark.parametrize(("defect", "check"), sorted(BROKEN.items()))
def test_a_broken_fake_fails_the_contract(
    defect: str, check: str, record_run: list[VersionResult]
) -> None:
    target = Target.in_process(broken_app(defect), TOKEN, sms_free=True, label=f"fake {defect}")
    result = run_version(LATEST_VERSION, target)
    record_run.append(result)

    assert not result.ok
    assert check in {failure.check for failure in result.failures.values()}
    assert result.failed[check] > 0
    assert not result.problems, result.problems


def test_without_the_documented_refusal_check_a_refusing_server_would_pass() -> None:
    """Why refusal_is_documented exists: 400 is an accepted answer to well-formed data."""
    target = Target.in_process(
        broken_app("refuses_custom_attributes"), TOKEN, sms_free=True, label="refusing fake"
    )
    result = run_version(LATEST_VERSION, target)

    checks = {failure.check for failure in result.failures.values()}
    assert checks == {"refusal_is_documented"}
    assert result.failed["positive_data_acceptance"] == 0
