"""Contract checks of a server against the effective spec of each Intercom-Version.

    from intercom_phone_switch.contract import Target, run

    for result in run(["2.16"], Target.remote("https://api.intercom.io", token)):
        print(result.ok, result.cases, result.checks)

Needs the ``contract`` extra (schemathesis). Against a network target only requests that
cannot send an SMS are made unless an ``SmsPolicy`` allows some (see ``safety``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from intercom_phone_switch._extras import require
from intercom_phone_switch._lazy import lazy_exports

require("The contract runner", "contract")

if TYPE_CHECKING:
    from .report import junit_xml, summary_line, write_junit
    from .results import Verdict, VersionResult
    from .runner import Settings, Target, run, run_version, sms_needed
    from .safety import SmsBlocked, SmsPolicy, SmsPolicyError, SmsTally

_HOMES = {
    "junit_xml": "report",
    "summary_line": "report",
    "write_junit": "report",
    "Verdict": "results",
    "VersionResult": "results",
    "Settings": "runner",
    "Target": "runner",
    "run": "runner",
    "run_version": "runner",
    "sms_needed": "runner",
    "SmsBlocked": "safety",
    "SmsPolicy": "safety",
    "SmsPolicyError": "safety",
    "SmsTally": "safety",
}

__all__ = [
    "Settings",
    "SmsBlocked",
    "SmsPolicy",
    "SmsPolicyError",
    "SmsTally",
    "Target",
    "Verdict",
    "VersionResult",
    "junit_xml",
    "run",
    "run_version",
    "sms_needed",
    "summary_line",
    "write_junit",
]

# Type checkers see the names imported above, and so refuse a misspelt one; at run
# time each name is imported from its module on first use.
if not TYPE_CHECKING:
    __getattr__, __dir__ = lazy_exports(__name__, _HOMES)
