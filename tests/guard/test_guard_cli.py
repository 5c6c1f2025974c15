"""``send --idempotency-key K --guard URL``, ``guard show`` and ``guard forget``."""

from __future__ import annotations

import json
from pathlib import Path

import httpx
import pytest
from click.testing import CliRunner, Result

from intercom_phone_switch.cli import main
from intercom_phone_switch.fake import DEFAULT_TOKEN, FakeIntercom

PHONE = "+353832345678"


def run(fake: FakeIntercom, *args: str) -> Result:
    http = httpx.Client(transport=fake.transport())
    env = {"INTERCOM_ACCESS_TOKEN": DEFAULT_TOKEN, "INTERCOM_PHONE_SWITCH_GUARD": ""}
    try:
        return CliRunner().invoke(main, list(args), obj={"http_client": http}, env=env)
    finally:
        http.close()


@pytest.fixture
def guard_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path}/guard.db"


def send(fake: FakeIntercom, guard_url: str, key: str, *extra: str) -> Result:
    base = ("send", PHONE, "--base-url", "http://fake.invalid")
    return run(fake, *base, "--idempotency-key", key, "--guard", guard_url, *extra)


def test_send_twice_sends_once(fake: FakeIntercom, guard_url: str) -> None:
    first = send(fake, guard_url, "call-1", "--json")
    again = send(fake, guard_url, "call-1", "--json")
    assert (first.exit_code, again.exit_code) == (0, 0)
    assert json.loads(first.stdout)["replayed"] is False
    assert json.loads(again.stdout)["replayed"] is True
    assert json.loads(again.stdout)["url"] == json.loads(first.stdout)["url"]
    assert fake.outbox.total == 1
    table = send(fake, guard_url, "call-1")
    assert "replayed" in table.stdout


def test_show_and_forget(fake: FakeIntercom, guard_url: str) -> None:
    free = run(fake, "guard", "show", "call-2", "--guard", guard_url, "--json")
    assert free.exit_code == 0, free.output
    assert json.loads(free.stdout)["state"] == "free"
    fake.faults.script("drop_after_sms")
    unknown = send(fake, guard_url, "call-2")
    assert unknown.exit_code == 3
    replay = send(fake, guard_url, "call-2", "--json")
    assert replay.exit_code == 3
    assert json.loads(replay.stdout)["replayed"] is True
    shown = run(fake, "guard", "show", "call-2", "--guard", guard_url)
    assert shown.exit_code == 0
    assert "call-2: unknown" in shown.stdout
    assert "DeliveryUnknown" in shown.stdout
    forgotten = run(fake, "guard", "forget", "call-2", "--guard", guard_url)
    assert "forgotten" in forgotten.stdout
    assert send(fake, guard_url, "call-2").exit_code == 0
    assert fake.outbox.total == 2
    accepted = run(fake, "guard", "show", "call-2", "--guard", guard_url, "--json")
    document = json.loads(accepted.stdout)
    assert document["state"] == "accepted"
    assert document["outcome"]["phone"] == PHONE


def test_an_unreachable_guard_exits_1_and_sends_nothing(fake: FakeIntercom) -> None:
    pytest.importorskip("redis")
    from bench.support import free_port

    url = f"redis://127.0.0.1:{free_port()}/0?timeout=0.5"
    result = send(fake, url, "call-3", "--json")
    assert result.exit_code == 1
    error = json.loads(result.stdout)
    assert (error["error"], error["sms_sent"]) == ("GuardUnavailable", False)
    assert fake.outbox.total == 0
    shown = run(fake, "guard", "show", "call-3", "--guard", url)
    assert shown.exit_code == 1
    assert "Traceback" not in shown.output


def test_show_prints_the_record_as_its_call_got_it(fake: FakeIntercom, guard_url: str) -> None:
    assert send(fake, guard_url, "call-4").exit_code == 0
    assert send(fake, guard_url, "call-4").exit_code == 0  # a replay: the record stays
    shown = run(fake, "guard", "show", "call-4", "--guard", guard_url)
    assert "call-4: accepted" in shown.stdout
    assert "replayed: False" in shown.stdout
    assert "replayed: True" not in shown.stdout
    document = json.loads(
        run(fake, "guard", "show", "call-4", "--guard", guard_url, "--json").stdout
    )
    assert document["outcome"]["replayed"] is False
    fake.faults.script("drop_after_sms")
    assert send(fake, guard_url, "call-5").exit_code == 3
    unknown = json.loads(
        run(fake, "guard", "show", "call-5", "--guard", guard_url, "--json").stdout
    )
    assert unknown["state"] == "unknown"
    assert (unknown["outcome"]["replayed"], unknown["outcome"]["sms_sent"]) == (False, None)


@pytest.mark.parametrize(
    "args",
    [
        ("send", PHONE, "--idempotency-key", "", "--guard", "memory://"),
        ("send", PHONE, "--idempotency-key", "k", "--guard", "ftp://x"),
        ("send", PHONE, "--idempotency-key", "k", "--guard", "memory://?ttl=inf"),
        ("send", PHONE, "--idempotency-key", "k"),
        ("guard", "show", "k"),
        ("guard", "show", "k", "--guard", "memory://"),
        ("guard", "show", "k", "--guard", "sqlite://"),
        ("guard", "show", "k", "--guard", "sqlite:///g.db?foo=1"),
        ("guard", "forget", "k", "--guard", "sqlite:///g.db?ttl=nan"),
    ],
)
def test_usage_errors(fake: FakeIntercom, args: tuple[str, ...]) -> None:
    result = run(fake, *args)
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output
