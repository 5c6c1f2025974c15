"""Server side: the embedded fake keeps the contract of every supported version.

One test per version (``-k 2.12`` picks one). Each runs schemathesis' examples, coverage
and fuzzing phases with positive and negative data and every default check, in-process,
with a fixed seed and no example database.
"""

from __future__ import annotations

import pytest

from intercom_phone_switch.contract.report import details
from intercom_phone_switch.contract.results import VersionResult
from intercom_phone_switch.contract.runner import Target, run_version
from intercom_phone_switch_generated.registry import VERSIONS

pytestmark = pytest.mark.contract


def default_checks() -> set[str]:
    """Every check schemathesis enables unless told otherwise."""
    from schemathesis.checks import CHECKS
    from schemathesis.config import ChecksConfig

    config = ChecksConfig()
    return {name for name in CHECKS.get_all_names() if config.get_by_name(name=name).enabled}


@pytest.mark.parametrize("version", VERSIONS)
def test_fake_keeps_the_contract(version: str, record_run: list[VersionResult]) -> None:
    result = run_version(version, Target.embedded_fake())
    record_run.append(result)

    assert result.ok, details(result)
    assert set(result.cases_by_phase) == {"examples", "coverage", "fuzzing"}
    assert all(count > 0 for count in result.cases_by_phase.values()), result.cases_by_phase
    expected = default_checks() | {"refusal_is_documented"}
    assert len(expected) > 10
    assert expected <= set(result.passed), sorted(expected - set(result.passed))
    # Both sides of the contract were exercised: SMS sent, and requests refused.
    assert result.statuses[200] > 0
    assert {400, 401, 422} <= set(result.statuses)
