"""Every guard option is checked when the Guard is made, and no URL secret is ever shown;
``unix://`` Redis URLs work; ``share_rate_budget`` works on the sync client too."""

from __future__ import annotations

import logging
import math
import shutil
import subprocess
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from click.testing import CliRunner, Result

from intercom_phone_switch import PhoneSwitch, PhoneSwitchClient
from intercom_phone_switch.cli import main
from intercom_phone_switch.fake import DEFAULT_TOKEN, FakeIntercom
from intercom_phone_switch.guard import Guard, GuardUnavailable, StoreError

PHONE = "+353832345678"
SECRET = "s3cret-Pa55"
MakeClient = Callable[..., PhoneSwitchClient]
#: Every wait of these tests ends within this many seconds.
BOUND = 20.0


@pytest.fixture(params=["memory", "sqlite", "redis"])
def base(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A guard URL of each store, to which a test adds options (``?...``)."""
    if request.param == "memory":
        return "memory://"
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path}/options.db"
    pytest.importorskip("redis")
    return "redis://127.0.0.1:9/0"  # never contacted: every option is checked first


@pytest.mark.parametrize(
    ("option", "message"),
    [
        ("foo=1", "unknown"),
        ("ttl=inf", "ttl must be a finite number of seconds above 0"),
        ("ttl=nan", "ttl must be a finite number"),
        ("ttl=0", "ttl must be"),
        ("ttl=-5", "ttl must be"),
        ("ttl=1e300", "ttl must be"),
        ("ttl=soon", "ttl must be a number of seconds"),
        ("fail_open=maybe", "fail_open must be true or false"),
        ("namespace=", "namespace"),
        ("ttl=5&ttl=6", "more than once"),
    ],
)
def test_every_url_option_is_checked_when_the_guard_is_made(
    base: str, option: str, message: str
) -> None:
    with pytest.raises(ValueError, match=message):
        Guard(f"{base}?{option}")


@pytest.mark.parametrize(
    "url",
    [
        "sqlite:///g.db?timeout=inf",
        "sqlite:///g.db?timeout=0",
        "redis://127.0.0.1:9/0?timeout=nan",
        "redis://127.0.0.1:9/0?socket_timeout=inf",
        "redis://127.0.0.1:9/0?socket_connect_timeout=-1",
        "redis://127.0.0.1:9/0?db=first",
        "unix:///tmp/redis.sock?foo=1",
    ],
)
def test_store_options_are_checked_when_the_guard_is_made(url: str) -> None:
    if not url.startswith("sqlite"):
        pytest.importorskip("redis")
    with pytest.raises(ValueError, match=r"timeout|db|unknown"):
        Guard(url)


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"per_phone_window": math.inf}, "per_phone_window"),
        ({"per_phone_window": math.nan}, "per_phone_window"),
        ({"per_phone_window": 0}, "per_phone_window"),
        ({"per_phone_window": -1.0}, "per_phone_window"),
        ({"ttl": math.inf}, "ttl"),
        ({"ttl": 0.0}, "ttl"),
        ({"lease": math.nan}, "lease"),
        ({"namespace": ""}, "namespace"),
    ],
)
def test_every_keyword_is_checked_when_the_guard_is_made(
    options: dict[str, Any], message: str
) -> None:
    with pytest.raises(ValueError, match=message):
        Guard("memory://", **options)


def test_a_keyword_of_the_wrong_type_is_a_type_error() -> None:
    with pytest.raises(TypeError, match="per_phone_window"):
        Guard("memory://", per_phone_window="300")  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="share_rate_budget"):
        Guard("memory://", share_rate_budget="yes")  # type: ignore[arg-type]


# -- secrets in URLs -----------------------------------------------------------------------
def _unreachable() -> str:
    from bench.support import free_port

    return f"127.0.0.1:{free_port()}"


def _secret_urls(host: str) -> list[str]:
    return [
        f"redis://:{SECRET}@{host}/0?timeout=0.3",
        f"redis://someone:{SECRET}@{host}/0?timeout=0.3",
        f"redis://{host}/0?password={SECRET}&timeout=0.3",
        f"redis://{host}/0?username=someone&password={SECRET}&timeout=0.3",
    ]


def _assert_hidden(*texts: object) -> None:
    for text in texts:
        assert SECRET not in str(text)


@pytest.mark.parametrize("index", range(4))
def test_no_secret_of_an_unreachable_redis_url_is_shown(
    index: int, make_client: MakeClient, fake: FakeIntercom, caplog: pytest.LogCaptureFixture
) -> None:
    pytest.importorskip("redis")
    url = _secret_urls(_unreachable())[index]
    guard = Guard(url)
    _assert_hidden(repr(guard), guard.url, guard.store.url, repr(guard.store))
    with pytest.raises(StoreError) as store_error:
        guard.state("k")
    _assert_hidden(store_error.value, repr(store_error.value))
    with pytest.raises(GuardUnavailable) as unavailable:
        make_client(guard=guard).create_phone_switch(PHONE, idempotency_key="k")
    _assert_hidden(unavailable.value, repr(unavailable.value), unavailable.value.message)
    with caplog.at_level(logging.WARNING, logger="intercom_phone_switch.guard"):
        open_guard = Guard(url, fail_open=True)
        make_client(guard=open_guard).create_phone_switch(PHONE, idempotency_key="k")
    assert "sending unguarded" in caplog.text
    _assert_hidden(caplog.text)
    assert fake.outbox.total == 1
    for command in ("show", "forget"):
        result = _cli("guard", command, "k", "--guard", url)
        assert result.exit_code == 1, result.output
        assert "Traceback" not in result.output
        _assert_hidden(result.output)


@pytest.fixture
def redis_user(redis_url: str) -> Iterator[tuple[str, str]]:
    """A user of the test's redis-server whose password is SECRET: (host:port, name)."""
    import redis

    name = f"guard-{uuid.uuid4().hex[:8]}"
    admin = redis.Redis.from_url(redis_url)
    admin.execute_command("ACL", "SETUSER", name, "on", f">{SECRET}", "~*", "+@all")
    try:
        yield redis_url.removeprefix("redis://").partition("/")[0], name
    finally:
        admin.execute_command("ACL", "DELUSER", name)
        admin.close()


def test_no_secret_of_a_redis_url_with_a_password_is_shown(
    redis_user: tuple[str, str], make_client: MakeClient, fake: FakeIntercom
) -> None:
    host, user = redis_user
    namespace = f"auth-{uuid.uuid4().hex[:8]}"
    for number, url in enumerate(
        [
            f"redis://{user}:{SECRET}@{host}/0?namespace={namespace}",
            f"redis://{host}/0?username={user}&password={SECRET}&namespace={namespace}",
        ]
    ):
        guard = Guard(url)
        _assert_hidden(repr(guard), guard.url)
        key = f"auth-{number}"
        client = make_client(guard=guard)
        client.create_phone_switch(PHONE, idempotency_key=key)
        assert client.create_phone_switch(PHONE, idempotency_key=key).replayed
        for args in (("show", key), ("show", key, "--json"), ("forget", key)):
            result = _cli("guard", *args, "--guard", url)
            assert result.exit_code == 0, result.output
            _assert_hidden(result.output)
    assert fake.outbox.total == 2
    # A wrong password: refused by the server, and not shown either.
    wrong = f"redis://{user}:{SECRET}-wrong@{host}/0?timeout=1"
    with pytest.raises(StoreError) as store_error:
        Guard(wrong).state("k")
    assert "AuthenticationError" in str(store_error.value)
    _assert_hidden(store_error.value)
    with pytest.raises(GuardUnavailable) as unavailable:
        make_client(guard=Guard(wrong)).create_phone_switch(PHONE, idempotency_key="k")
    _assert_hidden(unavailable.value, repr(unavailable.value))
    shown = _cli("guard", "show", "k", "--guard", wrong)
    assert shown.exit_code == 1
    _assert_hidden(shown.output)
    assert fake.outbox.total == 2


def test_a_bad_url_option_is_refused_with_no_secret(tmp_path: Path) -> None:
    pytest.importorskip("redis")
    url = f"redis://:{SECRET}@127.0.0.1:9/0?password={SECRET}&db=first"
    with pytest.raises(ValueError, match="db") as caught:
        Guard(url)
    _assert_hidden(caught.value)
    result = _cli("guard", "show", "k", "--guard", url)
    assert result.exit_code == 2
    assert "Traceback" not in result.output
    _assert_hidden(result.output)


def _cli(*args: str, fake: FakeIntercom | None = None) -> Result:
    http = httpx.Client(transport=(fake or FakeIntercom()).transport())
    env = {"INTERCOM_ACCESS_TOKEN": DEFAULT_TOKEN, "INTERCOM_PHONE_SWITCH_GUARD": ""}
    try:
        return CliRunner().invoke(main, list(args), obj={"http_client": http}, env=env)
    finally:
        http.close()


@pytest.mark.parametrize("option", ["ttl=inf", "foo=1", "ttl=nan", "namespace="])
def test_a_bad_option_is_a_usage_error_that_sends_nothing(tmp_path: Path, option: str) -> None:
    url = f"sqlite:///{tmp_path}/cli.db?{option}"
    fake = FakeIntercom()
    sent = _cli(
        "send", PHONE, "--base-url", "http://fake.invalid", "--idempotency-key", "k",
        "--guard", url, fake=fake,
    )  # fmt: skip
    assert sent.exit_code == 2, sent.output
    assert "Traceback" not in sent.output
    assert fake.outbox.total == 0
    assert Guard(f"sqlite:///{tmp_path}/cli.db").state("k").state == "free"
    for command in ("show", "forget"):
        result = _cli("guard", command, "k", "--guard", url)
        assert result.exit_code == 2, result.output
        assert "Usage" in result.output
        assert "Traceback" not in result.output


def test_a_key_without_a_guard_is_a_usage_error() -> None:
    fake = FakeIntercom()
    result = _cli(
        "send", PHONE, "--base-url", "http://fake.invalid", "--idempotency-key", "k", fake=fake
    )
    assert result.exit_code == 2
    assert "--guard" in result.output
    assert fake.outbox.total == 0


# -- unix:// ---------------------------------------------------------------------------------
@pytest.fixture
def unix_redis() -> Iterator[str]:
    """A redis-server of this test listening on a unix socket only; its socket's path."""
    executable = shutil.which("redis-server")
    if executable is None:
        pytest.skip("redis-server is not installed")
    pytest.importorskip("redis")
    directory = tempfile.mkdtemp(prefix="guard-unix-")  # short: a socket path has a limit
    socket_path = Path(directory) / "redis.sock"
    command = [
        executable,
        *("--port", "0", "--unixsocket", str(socket_path), "--unixsocketperm", "700"),
        *("--dir", directory, "--save", "", "--appendonly", "no", "--daemonize", "no"),
    ]
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        ends = time.monotonic() + BOUND
        while not socket_path.exists():
            if process.poll() is not None or time.monotonic() > ends:
                pytest.fail("redis-server did not open its unix socket")
            time.sleep(0.02)
        yield str(socket_path)
    finally:
        process.terminate()
        try:
            process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=5)
        shutil.rmtree(directory, ignore_errors=True)


def test_a_unix_socket_redis_guard_works(
    unix_redis: str, make_client: MakeClient, fake: FakeIntercom
) -> None:
    url = f"unix://{unix_redis}?db=0&namespace=unix-{uuid.uuid4().hex[:8]}"
    with Guard(url) as guard:
        assert guard.url.startswith("unix:///")
        client = make_client(guard=guard)
        first = client.create_phone_switch(PHONE, idempotency_key="u1")
        again = client.create_phone_switch(PHONE, idempotency_key="u1")
        assert (first.replayed, again.replayed) == (False, True)
        assert guard.state("u1").state == "accepted"
    assert fake.outbox.total == 1
    shown = _cli("guard", "show", "u1", "--guard", url, "--json")
    assert shown.exit_code == 0, shown.output
    assert '"state": "accepted"' in shown.output


# -- share_rate_budget on the sync client ------------------------------------------------------
def test_a_sync_client_shares_the_rate_budget(redis_url: str) -> None:
    import redis

    namespace = f"budget-{uuid.uuid4().hex[:8]}"
    guard = Guard(f"{redis_url}?namespace={namespace}", share_rate_budget=True)
    fake = FakeIntercom(rate_limit=4, rate_limit_window=1.0)
    http = httpx.Client(transport=fake.transport())
    with PhoneSwitchClient(
        DEFAULT_TOKEN, base_url="http://fake.invalid", http_client=http, guard=guard
    ) as client:
        phones = [f"+35387{index:07d}" for index in range(10)]
        outcomes = client.create_phone_switches(phones, concurrency=4)
        scope = client._scope()
    http.close()
    assert all(isinstance(outcome, PhoneSwitch) for outcome in outcomes), outcomes
    admin = redis.Redis.from_url(redis_url)
    try:
        # The window every process sees is in Redis: what the batch learnt is there.
        assert admin.hget(f"{namespace}:budget:{scope}", "limit") == b"4"
    finally:
        admin.close()
