"""Telling what a contract run did: one line per version, failure details, JUnit XML.

Every report says the same thing: a version is kept only when its run went to its end and
every check it exercised passed; a check never exercised is skipped with the reason (never
"passed"); a version cut short by the SMS cap, or not run, is not kept.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Callable, Sequence
from pathlib import Path

from .results import Verdict, VersionResult


def _statuses(result: VersionResult) -> str:
    return " ".join(f"{status}x{count}" for status, count in sorted(result.statuses.items()))


def summary_line(result: VersionResult) -> str:
    """``2.16 vs embedded fake: 227 cases (...), 3245 checks, 0 failures [...] in 1.5s``.

    The counts make a run that tested nothing visible at a glance.
    """
    if result.not_run is not None:
        return f"{result.version} vs {result.target}: not run ({result.not_run})"
    if result.unreachable is not None:
        return (
            f"{result.version} vs {result.target}: not checked, the target was unreachable "
            f"({result.unreachable})"
        )
    phases = ", ".join(f"{phase} {count}" for phase, count in result.cases_by_phase.items())
    failures = sum(failure.count for failure in result.failures.values())
    line = (
        f"{result.version} vs {result.target}: {result.cases} cases ({phases}), "
        f"{result.requests} requests, {result.checks} checks, {failures} failures"
    )
    if result.problems:
        line += f", {len(result.problems)} problems"
    line += f" [{_statuses(result)}] in {result.seconds:.1f}s"
    if result.sms is not None:
        sms = result.sms
        line += (
            f"; SMS guard: {sms.sent} could-text requests sent, {sms.replaced} phones replaced,"
            f" {sms.dropped} cases dropped, {sms.blocked} requests blocked"
        )
        if sms.cap_reached:
            line += "; SMS cap reached, run stopped"
    if result.cut_short:
        line += "; not run to its end, so not kept"
    skipped = result.skipped_checks
    if skipped:
        line += f"; never exercised, so skipped: {', '.join(skipped)}"
    if result.timed_out:
        line += "; time limit reached, run stopped"
    refused = result.credentials_refused
    if refused is not None:
        line += f"; {refused}"
    return line


def details(result: VersionResult) -> str:
    """Every distinct failure and error of one version, for a human."""
    parts = [] if result.credentials_refused is None else [result.credentials_refused]
    parts += [failure.describe() for failure in result.failures.values()]
    parts.extend(f"error: {problem}" for problem in result.problems)
    return "\n\n".join(parts)


def skipped_lines(result: VersionResult) -> list[str]:
    """One line per check the run never exercised, with the reason."""
    return [
        f"{name}: skipped, never exercised: {reason}"
        for name, reason in result.skipped_checks.items()
    ]


#: Why a version cut short by the SMS cap is not kept.
CUT_SHORT = (
    "the SMS cap ran out part-way through this version's run, so it was not run to its end "
    "and is not kept"
)


def _suite(result: VersionResult) -> ET.Element:
    suite = ET.Element("testsuite", name=f"contract {result.version}")
    properties = ET.SubElement(suite, "properties")
    values = {
        "version": result.version,
        "target": result.target,
        "seed": str(result.seed),
        "cases": str(result.cases),
        "requests": str(result.requests),
        "checks": str(result.checks),
        "stop_reason": result.stop_reason,
        "verdict": str(result.verdict),
    }
    for phase, count in result.cases_by_phase.items():
        values[f"cases.{phase}"] = str(count)
    if result.sms is not None:
        values["sms.sent"] = str(result.sms.sent)
        values["sms.replaced"] = str(result.sms.replaced)
        values["sms.dropped"] = str(result.sms.dropped)
        values["sms.blocked"] = str(result.sms.blocked)
        values["sms.cap_reached"] = str(result.sms.cap_reached).lower()
        values["sms.over_cap"] = str(result.sms.over_cap)
    for name, value in values.items():
        ET.SubElement(properties, "property", name=name, value=value)

    classname = f"contract.{result.version}"
    tests = failures = errors = skipped = 0
    if result.not_run is not None:
        case = ET.SubElement(suite, "testcase", classname=classname, name="run", time="0")
        ET.SubElement(case, "skipped", message=f"not run: {result.not_run}")
        tests, skipped = 1, 1
    elif result.unreachable is not None:
        case = ET.SubElement(
            suite, "testcase", classname=classname, name="run", time=f"{result.seconds:.3f}"
        )
        ET.SubElement(case, "error", message=f"the target was unreachable ({result.unreachable})")
        tests, errors = 1, 1
    else:
        never = result.skipped_checks
        for name in result.check_names:
            tests += 1
            case = ET.SubElement(suite, "testcase", classname=classname, name=name, time="0")
            found = [failure for failure in result.failures.values() if failure.check == name]
            if found:
                failures += 1
                element = ET.SubElement(
                    case,
                    "failure",
                    type="check",
                    message="; ".join(f"{failure.title} ({failure.count}x)" for failure in found),
                )
                element.text = "\n\n".join(failure.describe() for failure in found)
            elif name in never:
                skipped += 1
                ET.SubElement(case, "skipped", message=f"never exercised: {never[name]}")
        tests += 1
        run = ET.SubElement(
            suite, "testcase", classname=classname, name="run", time=f"{result.seconds:.3f}"
        )
        run_level = [failure for failure in result.failures.values() if failure.check == "run"]
        if result.credentials_refused is not None:
            failures += 1
            element = ET.SubElement(
                run, "failure", type="credentials", message=result.credentials_refused
            )
            element.text = details(result)
        elif result.problems:
            errors += 1
            element = ET.SubElement(run, "error", message=result.problems[0])
            element.text = details(result)
        elif run_level:
            failures += 1
            element = ET.SubElement(run, "failure", message=run_level[0].title)
            element.text = details(result)
        elif result.verdict is Verdict.CUT_SHORT:
            skipped += 1
            ET.SubElement(run, "skipped", message=CUT_SHORT)
    ET.SubElement(suite, "system-out").text = summary_line(result)
    suite.set("tests", str(tests))
    suite.set("failures", str(failures))
    suite.set("errors", str(errors))
    suite.set("skipped", str(skipped))
    suite.set("time", f"{result.seconds:.3f}")
    return suite


def junit_xml(results: Sequence[VersionResult]) -> ET.ElementTree[ET.Element]:
    """A JUnit report: one test suite per version, one test case per check, plus "run"."""
    root = ET.Element("testsuites", name="intercom-phone-switch contract")
    totals = {"tests": 0, "failures": 0, "errors": 0, "skipped": 0}
    seconds = 0.0
    for result in results:
        suite = _suite(result)
        root.append(suite)
        for key in totals:
            totals[key] += int(suite.get(key, "0"))
        seconds += result.seconds
    for key, value in totals.items():
        root.set(key, str(value))
    root.set("time", f"{seconds:.3f}")
    return ET.ElementTree(root)


def _mask_tree(tree: ET.ElementTree[ET.Element], mask: Callable[[str], str]) -> None:
    for element in tree.iter():
        if element.text:
            element.text = mask(element.text)
        if element.tail:
            element.tail = mask(element.tail)
        for name, value in element.attrib.items():
            element.set(name, mask(value))


def write_junit(
    results: Sequence[VersionResult],
    path: Path,
    *,
    mask: Callable[[str], str] | None = None,
) -> None:
    """Write the JUnit report; ``mask`` (a ``Masker``,
    say) is applied to every text and attribute in it first."""
    tree = junit_xml(results)
    if mask is not None:
        _mask_tree(tree, mask)
    ET.indent(tree)
    path.parent.mkdir(parents=True, exist_ok=True)
    tree.write(path, encoding="utf-8", xml_declaration=True)
