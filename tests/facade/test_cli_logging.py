"""``INTERCOM_PHONE_SWITCH_LOG``: operators turn logging on without code, and the token
stays masked in every record it writes. Each case runs in a process of its own, as the
variable is read when the package's logging is first imported."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from collections.abc import Iterator

import pytest

from intercom_phone_switch._logging import LOG_VARIABLE
from intercom_phone_switch.fake import FakeIntercom, FakeServer

TOKEN = "tok_live_env_5f3b9c0d1e2a"
MOBILE = "+353832345678"

SCRIPT = textwrap.dedent(
    """
    import logging, sys
    from intercom_phone_switch import PhoneSwitchClient

    url, token = sys.argv[1], sys.argv[2]
    with PhoneSwitchClient(token, base_url=url, max_retries=0) as client:
        client.create_phone_switch("+353832345678")
        probe = logging.getLogger("intercom_phone_switch.probe")
        probe.info("echoed: Authorization: Bearer %s", token)
        probe.info("the token is %s", token)
        probe.debug("a debug record of a child logger")
    print("sent")
    """
)


def run(code_or_module: list[str], value: str | None) -> subprocess.CompletedProcess[str]:
    env = {key: item for key, item in os.environ.items() if key != LOG_VARIABLE}
    env.pop("INTERCOM_ACCESS_TOKEN", None)
    if value is not None:
        env[LOG_VARIABLE] = value
    return subprocess.run(
        [sys.executable, *code_or_module],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
        env=env,
    )


@pytest.fixture(scope="module")
def server() -> Iterator[FakeServer]:
    with FakeIntercom(tokens=[TOKEN]).serve(host="127.0.0.1") as served:
        yield served


@pytest.mark.parametrize("value", ["debug", "DEBUG", " debug "])
def test_debug_logs_every_request_to_stderr_with_the_token_masked(
    server: FakeServer, value: str
) -> None:
    result = run(["-c", SCRIPT, server.url, TOKEN], value)

    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "sent"
    logged = result.stderr
    assert "DEBUG intercom_phone_switch: POST /phone_call_redirects -> 200" in logged
    assert "DEBUG httpcore" in logged, "the HTTP library's records too"
    assert "echoed: Authorization: [redacted]" in logged
    assert "the token is [redacted]" in logged
    assert "a debug record of a child logger" in logged
    assert TOKEN not in logged + result.stdout
    assert "[redacted]]" not in logged, "a masked value is masked whole"


def test_info_logs_no_debug_records(server: FakeServer) -> None:
    result = run(["-c", SCRIPT, server.url, TOKEN], "info")

    assert result.returncode == 0, result.stderr
    assert "INFO intercom_phone_switch.probe: echoed: Authorization: [redacted]" in (result.stderr)
    assert "DEBUG" not in result.stderr
    assert TOKEN not in result.stderr


def test_without_the_variable_nothing_is_logged(server: FakeServer) -> None:
    result = run(["-c", SCRIPT, server.url, TOKEN], None)

    assert result.returncode == 0, result.stderr
    assert result.stderr == ""


def test_an_unknown_value_is_said_once_and_ignored(server: FakeServer) -> None:
    result = run(["-c", SCRIPT, server.url, TOKEN], "loud")

    assert result.returncode == 0, result.stderr
    (line,) = result.stderr.strip().splitlines()
    assert f"{LOG_VARIABLE}='loud' is not one of debug, info" in line
    assert "Traceback" not in result.stderr


def test_the_command_line_logs_too_and_masks_the_token(server: FakeServer) -> None:
    result = run(
        ["-m", "intercom_phone_switch", "send", MOBILE, "--base-url", server.url, "--token", TOKEN],
        "debug",
    )

    assert result.returncode == 0, result.stderr
    assert "Messenger link: " in result.stdout
    assert "DEBUG intercom_phone_switch: POST /phone_call_redirects -> 200" in result.stderr
    assert TOKEN not in result.stdout + result.stderr
