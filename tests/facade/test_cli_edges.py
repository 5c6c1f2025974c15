"""The commands' rough edges: help that lists every command whole (also in a ``[cli]``-only
install), the option an error is about, a rate limit's reset a person can read, a demo
whose links and ids can be copied, the package's public names only."""

from __future__ import annotations

import io
import subprocess
import sys
import textwrap
import time
from datetime import datetime, timedelta, timezone

import httpx
import pytest
from click.testing import CliRunner
from phone_fakes import MOBILE, TOKEN, FakeIntercom
from rich.console import Console

from intercom_phone_switch.cli import COMMANDS, main
from intercom_phone_switch.commands.demo import run_demo
from intercom_phone_switch.commands.send import when
from intercom_phone_switch_generated.registry import VERSIONS
from tests.versions import NEXT

#: Libraries of the extras beyond [cli]; hidden, they make a [cli]-only install.
EXTRA_LIBRARIES = ("starlette", "uvicorn", "schemathesis", "httptools", "jsonschema_rs")


def run_python(
    code: str, *args: str, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    import os

    return subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code), *args],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        env={**os.environ, **(env or {})},
    )


def commands_section(output: str) -> list[str]:
    lines = output.split("Commands:", 1)[1].strip("\n").splitlines()
    return [line for line in lines if line.strip()]


# -- help ------------------------------------------------------------------------------------


@pytest.mark.parametrize("args", [["--help"], ["-h"], []])
def test_help_lists_every_command_with_a_whole_sentence(args: list[str]) -> None:
    result = CliRunner().invoke(main, args, terminal_width=80)

    assert result.exit_code in (0, 2), result.output  # bare: click's usage status
    assert result.exception is None or isinstance(result.exception, SystemExit)
    rows = commands_section(result.output)
    assert [row.split()[0] for row in rows] == sorted(COMMANDS)
    for row in rows:
        assert not row.endswith("..."), row
        assert row.endswith("."), row
        assert len(row) <= 80, row
    (send,) = [row for row in rows if row.split()[0] == "send"]
    assert "e.g." not in send


HIDDEN = f"""
import sys
for name in {EXTRA_LIBRARIES!r}:
    sys.modules[name] = None  # as if not installed: find_spec says None, import fails
from intercom_phone_switch.cli import main
main(sys.argv[1:], prog_name="intercom-phone-switch")
"""


@pytest.mark.parametrize("args", [["--help"], ["-h"], []])
def test_help_works_in_a_cli_only_install(args: list[str]) -> None:
    result = run_python(HIDDEN, *args)

    assert "Traceback" not in result.stderr, result.stderr
    assert result.returncode in (0, 2)
    shown = result.stdout + result.stderr
    rows = {row.split()[0]: row for row in commands_section(shown)}
    assert set(rows) == set(COMMANDS)
    assert "needs the [fake] extra" in rows["serve"]
    assert "needs the [fake] extra" in rows["demo"]
    assert "needs the [contract] extra" in rows["contract"]
    assert "needs" not in rows["send"]


@pytest.mark.parametrize(
    ("args", "extra"),
    [(["serve", "--help"], "fake"), (["demo"], "fake"), (["contract", "--fake"], "contract")],
)
def test_a_command_of_a_missing_extra_says_what_to_install(args: list[str], extra: str) -> None:
    result = run_python(HIDDEN, *args)

    assert result.returncode == 2, result.stderr
    assert "Traceback" not in result.stderr
    (line,) = result.stderr.strip().splitlines()
    assert line.endswith(f"pip install 'intercom-phone-switch[{extra}]'"), line


def test_contract_blames_the_intercom_version_option() -> None:
    unknown = NEXT

    for spelling in ("--intercom-version", "--version"):
        result = CliRunner().invoke(main, ["contract", "--fake", spelling, unknown])
        assert result.exit_code == 2
        assert "Invalid value for '--intercom-version'" in result.output
        assert f"{unknown!r} is not a version" in result.output


# -- send: the rate limit's reset --------------------------------------------------------------


def test_send_prints_the_rate_limit_reset_as_a_time(intercom: FakeIntercom) -> None:
    reset = int(time.time()) + 42
    intercom.script.append(
        httpx.Response(
            200,
            json={"type": "phone_call_redirect", "url": "http://via.intercom.io/msgr/1"},
            headers={
                "X-RateLimit-Limit": "1666",
                "X-RateLimit-Remaining": "1665",
                "X-RateLimit-Reset": str(reset),
            },
        )
    )
    http = httpx.Client(transport=httpx.MockTransport(intercom))
    result = CliRunner().invoke(
        main, ["send", MOBILE], obj={"http_client": http}, env={"INTERCOM_ACCESS_TOKEN": TOKEN}
    )
    http.close()

    assert result.exit_code == 0, result.output
    (line,) = [line for line in result.stdout.splitlines() if line.startswith("rate limit:")]
    at = datetime.fromtimestamp(reset, tz=timezone.utc)
    assert line.startswith(f"rate limit: 1665 of 1666 left until {at:%H:%M:%S} UTC (in ")
    assert line.endswith(f"; UNIX time {reset})")


def test_a_reset_is_readable_whenever_it_is() -> None:
    now = datetime(2026, 3, 4, 12, 0, 0, tzinfo=timezone.utc)
    soon = now + timedelta(seconds=42)
    later = now + timedelta(days=3)

    assert when(int(soon.timestamp()), soon, now) == (
        f"12:00:42 UTC (in 42 s; UNIX time {int(soon.timestamp())})"
    )
    assert when(int(later.timestamp()), later, now) == (
        f"2026-03-07 12:00:00 UTC (in 3 days; UNIX time {int(later.timestamp())})"
    )
    assert when(None, None, now) is None
    assert when(10**18, None, now) == f"UNIX time {10**18}"


# -- demo: links and ids whole -----------------------------------------------------------------


def _demo(console: Console) -> tuple[int, list[str], list[str]]:
    from intercom_phone_switch.fake import FakeIntercom as Fake

    fake = Fake()
    code = run_demo(console, fake)
    # The first SMS are those of the versions, shown; the error cases send more later.
    shown = fake.outbox.messages()[: len(VERSIONS)]
    return code, [sms.url for sms in shown], [sms.request_id for sms in shown if sms.request_id]


def test_demo_keeps_links_and_ids_whole_in_an_80_column_terminal() -> None:
    buffer = io.StringIO()
    console = Console(file=buffer, width=80, force_terminal=True, color_system=None)

    code, links, ids = _demo(console)

    assert code == 0
    lines = buffer.getvalue().splitlines()
    assert len(links) == len(VERSIONS)
    for text in [*links, *ids]:
        assert any(text in line for line in lines), f"{text} is folded"
    assert not any("┃" in line or "│" in line for line in lines), "no table cells"


def test_demo_through_a_pipe_pads_no_line() -> None:
    result = CliRunner().invoke(main, ["demo"])

    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert all(line == line.rstrip() for line in lines)
    links = [line.strip() for line in lines if line.strip().startswith("http://via.intercom.io/")]
    assert len(links) == 2 * len(VERSIONS)  # the answers and the outbox
    widest = max(len(line) for line in lines if "http://via.intercom.io/" in line)
    assert widest < 100, "a link's line is no wider than the link and its indent"


# -- the package's public names ----------------------------------------------------------------


def test_dir_of_the_package_shows_only_public_names() -> None:
    result = run_python(
        """
        import json, intercom_phone_switch
        print(json.dumps([dir(intercom_phone_switch), intercom_phone_switch.__all__]))
        """
    )
    import json

    shown, public = json.loads(result.stdout)
    assert set(shown) == set(public)
    for helper in ("TYPE_CHECKING", "annotations", "lazy_exports"):
        assert helper not in shown
