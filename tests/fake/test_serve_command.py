"""``intercom-phone-switch serve`` in its own process."""

from __future__ import annotations

import contextlib
import select
import signal
import subprocess
import sys
from collections.abc import Iterator

import httpx
import pytest
from click.testing import CliRunner

from intercom_phone_switch.cli import main

MOBILE = "+353832345678"
PATH = "/phone_call_redirects"
SCRIPT = "import sys; from intercom_phone_switch.cli import main; sys.exit(main())"


def first_line(process: subprocess.Popen[str], timeout: float = 30.0) -> str:
    """The first line the server prints (its URL, once it answers); bounded in time."""
    assert process.stdout is not None
    if not select.select([process.stdout], [], [], timeout)[0]:
        raise AssertionError("the server printed nothing")
    return process.stdout.readline().strip()


def close_pipes(process: subprocess.Popen[str]) -> None:
    for pipe in (process.stdout, process.stderr):
        if pipe is not None:
            pipe.close()


def stop(process: subprocess.Popen[str]) -> int:
    """Interrupt ``process`` as Ctrl-C would and return its exit status; a server that
    does not stop within 15 s is killed, and that fails the test."""
    process.send_signal(signal.SIGINT)
    try:
        return process.wait(timeout=15)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()
        raise
    finally:
        close_pipes(process)


@contextlib.contextmanager
def serving(*options: str) -> Iterator[tuple[str, subprocess.Popen[str]]]:
    """``serve`` on a free port with ``options``: its URL and process, stopped on exit."""
    process = subprocess.Popen(
        [sys.executable, "-c", SCRIPT, "serve", "--port", "0", *options],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        yield first_line(process), process
    finally:
        stop(process)


@pytest.fixture
def served() -> Iterator[tuple[str, subprocess.Popen[str]]]:
    options = ["--token", "one", "--token", "two", "--default-version", "2.13"]
    with serving(*options, "--rate-limit", "50") as found:
        yield found


def test_serve_prints_its_url_and_answers(served: tuple[str, subprocess.Popen[str]]) -> None:
    url, process = served
    assert url.startswith("http://127.0.0.1:")
    for token in ("one", "two"):
        answer = httpx.post(
            url + PATH, json={"phone": MOBILE}, headers={"Authorization": f"Bearer {token}"}
        )
        assert answer.status_code == 200
        assert answer.headers["x-ratelimit-limit"] == "50"
    assert httpx.post(url + PATH, json={"phone": MOBILE}).status_code == 401
    outbox = httpx.get(url + "/__fake__/outbox").json()
    assert [m["version"] for m in outbox["messages"]] == ["2.13", "2.13"]
    process.send_signal(signal.SIGINT)
    assert process.wait(timeout=15) == 0


def test_serve_with_random_faults() -> None:
    process = subprocess.Popen(
        [
            sys.executable,
            "-c",
            SCRIPT,
            "serve",
            "--port",
            "0",
            "--fault-probability",
            "1",
            "--fault-kind",
            "sms_failed",
            "--fault-seed",
            "3",
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    try:
        url = first_line(process)
        answer = httpx.post(
            url + PATH,
            json={"phone": MOBILE},
            headers={"Authorization": "Bearer fake-intercom-token"},
        )
        assert answer.json() == {
            "error_key": "sms_failed",
            "message": "SMS was not sent due to an unknown error",
        }
    finally:
        stop(process)


def test_serve_refuses_a_port_in_use() -> None:
    import socket

    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = CliRunner().invoke(main, ["serve", "--port", str(port)])
    assert result.exit_code == 1
    assert "cannot listen on 127.0.0.1" in result.output


def test_serve_help_lists_the_options() -> None:
    result = CliRunner().invoke(main, ["serve", "--help"])
    assert result.exit_code == 0
    for option in ("--port", "--token", "--default-version", "--rate-limit", "--fault-probability"):
        assert option in result.output


@pytest.mark.parametrize(
    "option",
    ["--rate-limit", "--rate-limit-window", "--outbox-cap", "--fault-probability", "--fault-seed"],
)
@pytest.mark.parametrize(
    "value", ["inf", "-inf", "nan", "1e999", "1e-320", "-1", "1" + "0" * 5000, "x", "0x10"]
)
def test_serve_refuses_numbers_out_of_range(option: str, value: str) -> None:
    result = CliRunner().invoke(main, ["serve", "--port", "0", option, value])
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output
    assert isinstance(result.exception, SystemExit)
    assert option in result.output
