"""``intercom-phone-switch demo``: the whole client against the embedded fake Intercom.

Starts the fake on a free 127.0.0.1 port, sends one phone switch through the client for
every supported Intercom-Version, shows the answers and the fake's outbox, then provokes
one of each error the client raises and shows its message. Needs no account and no
network. Exit status 0 when everything behaved as expected, 1 otherwise (a step that
fails in a way nobody expected is reported as such, never with a traceback). With
``--keep-serving`` the fake stays up afterwards, its outbox page open for a look, until
Ctrl-C.

The output is plain lines: each link and id is printed whole, on a line of its own or at
the end of one, never folded into a table cell nor padded to a width, so that it can be
copied from an 80-column terminal, a pipe or a CI log alike.
"""

from __future__ import annotations

import contextlib
import logging
import socket
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import click

if TYPE_CHECKING:
    from rich.console import Console

    from intercom_phone_switch import PhoneSwitch, PhoneSwitchClient, PhoneSwitchError
    from intercom_phone_switch.fake import FakeIntercom

TOKEN = "demo-token"
LANDLINE = "+40241100100"


@dataclass
class Outcome:
    """What one step of the demo expected, and whether it got it."""

    step: str
    expected: str
    got: str
    ok: bool
    detail: str = ""


@click.command(
    short_help="Try every version against a local fake Intercom.",
    epilog="Exit status: 0 every step behaved as expected; 1 a step misbehaved; 2 usage error.",
)
@click.option(
    "--keep-serving",
    is_flag=True,
    help="Keep the fake running afterwards, with its outbox page, until Ctrl-C.",
)
def demo(keep_serving: bool) -> None:
    """Send phone switches for every version to a local fake Intercom, and show each error."""
    from ._console import console as make_console

    console = make_console()
    raise SystemExit(run_demo(console, keep_serving=threading.Event() if keep_serving else None))


def phone(index: int) -> str:
    """An Irish mobile number per index: each SMS is easy to find in the outbox."""
    return f"+35383100{index:04d}"


@contextlib.contextmanager
def _quiet_client_logs() -> Iterator[None]:
    """The client warns about unknown deliveries; the demo shows them in its own tables."""
    log = logging.getLogger("intercom_phone_switch")
    level = log.level
    log.setLevel(logging.CRITICAL)
    try:
        yield
    finally:
        log.setLevel(level)


def run_demo(
    console: Console, fake: FakeIntercom | None = None, keep_serving: threading.Event | None = None
) -> int:
    """Run the demo against ``fake`` (a new one by default); 0 if all went as expected.

    With ``keep_serving``, the fake keeps running afterwards (its Messenger links point at
    it) until that event is set or Ctrl-C.
    """
    from intercom_phone_switch.fake import FakeIntercom

    if fake is None:
        fake = FakeIntercom(tokens=[TOKEN])
    fake.tokens = fake.tokens | {TOKEN}
    with _quiet_client_logs(), fake.serve() as server:
        if keep_serving is not None:
            fake.messenger_url = server.url
        console.print(f"[bold]Fake Intercom[/bold] listening on {server.url}")
        outcomes = _send_every_version(console, fake, server.url)
        _show_outbox(console, fake)
        outcomes += _provoke_errors(console, fake, server.url)
        status = _summary(console, outcomes)
        if keep_serving is not None:
            console.print(f"The outbox page: {server.url}/ (Ctrl-C stops the fake)")
            with contextlib.suppress(KeyboardInterrupt):
                keep_serving.wait()
    return status


def _line(console: Console, *parts: str | tuple[str, str]) -> None:
    """One line, printed whole: never wrapped, folded or padded by the console."""
    from rich.text import Text

    text: Text = Text.assemble(*parts)
    text.rstrip()
    console.print(text, soft_wrap=True, overflow="ignore", crop=False, highlight=False)


def _title(console: Console, title: str) -> None:
    console.print()
    _line(console, (title, "bold"))


def _summary(console: Console, outcomes: list[Outcome]) -> int:
    console.print()
    failed = [outcome for outcome in outcomes if not outcome.ok]
    if failed:
        _line(console, (f"{len(failed)} of {len(outcomes)} steps misbehaved:", "bold red"))
        for outcome in failed:
            _line(
                console,
                f"  {outcome.step}: expected {outcome.expected}, got {outcome.got} "
                f"{outcome.detail}".rstrip(),
            )
        return 1
    _line(console, (f"All {len(outcomes)} steps behaved as expected.", "bold green"))
    return 0


def _client(url: str, token: str = TOKEN, **options: Any) -> PhoneSwitchClient:
    from intercom_phone_switch import PhoneSwitchClient

    return PhoneSwitchClient(token, base_url=url, **options)


def _unexpected(error: Exception) -> str:
    """An exception no step expected, in one line (no traceback)."""
    return (
        f"{type(error).__name__}: {error}".splitlines()[0] if str(error) else type(error).__name__
    )


def _send_every_version(console: Console, fake: FakeIntercom, url: str) -> list[Outcome]:
    from intercom_phone_switch_generated.registry import VERSIONS

    _title(console, "One phone switch per supported Intercom-Version")
    _line(
        console, ("(ms: the whole call, including loading that version's generated package)", "dim")
    )
    width = max(len(version) for version in VERSIONS)
    outcomes = []
    with _client(url, max_retries=0) as client:
        for index, version in enumerate(VERSIONS):
            number = phone(index)
            attributes = {"demo_version": version, "issue_type": "Billing"}
            started = time.perf_counter()
            result: PhoneSwitch | PhoneSwitchError | Exception
            try:
                result = client.create_phone_switch(number, attributes, version=version)
            except Exception as error:  # a PhoneSwitchError, or one nobody expected
                result = error
            elapsed = (time.perf_counter() - started) * 1000
            outcome = _check_sent(fake, version, number, result)
            outcomes.append(outcome)
            request_id = getattr(result, "request_id", None)
            _line(
                console,
                f"  {version:<{width}}  ",
                (f"{outcome.got:<12}", "green" if outcome.ok else "red"),
                f" {elapsed:7.1f} ms",
                f"  request id {request_id}" if request_id else "",
            )
            link = getattr(result, "url", None) if outcome.ok else None
            _line(console, " " * (width + 4), link or outcome.detail)
    return outcomes


def _check_sent(
    fake: FakeIntercom,
    version: str,
    phone: str,
    result: PhoneSwitch | PhoneSwitchError | Exception,
) -> Outcome:
    from intercom_phone_switch import PhoneSwitchError

    step = f"phone switch with Intercom-Version {version}"
    if isinstance(result, PhoneSwitchError):
        return Outcome(step, "PhoneSwitch", type(result).__name__, False, result.message)
    if isinstance(result, Exception):
        return Outcome(step, "PhoneSwitch", "an unexpected error", False, _unexpected(result))
    sent = fake.outbox.messages(phone)
    problems = []
    if len(sent) != 1:
        problems.append(f"{len(sent)} SMS in the outbox instead of 1")
    elif (sent[0].url, sent[0].spec_version, sent[0].request_id) != (
        result.url,
        version,
        result.request_id,
    ):
        problems.append("the outbox does not match the answer")
    return Outcome(step, "PhoneSwitch", "PhoneSwitch", not problems, "; ".join(problems))


def _show_outbox(console: Console, fake: FakeIntercom) -> None:
    messages = fake.outbox.messages()
    _title(console, f"The fake's outbox ({fake.outbox.total} SMS sent)")
    if not messages:
        return
    phones = max(len(sms.phone) for sms in messages)
    versions = max(len(sms.version) for sms in messages)
    for sms in messages:
        attributes = ", ".join(f"{key}={value}" for key, value in sms.custom_attributes.items())
        sent_at = sms.sent_at.strftime("%H:%M:%S.%f")[:-3]
        _line(
            console,
            f"  {sms.phone:<{phones}}  {sms.version:<{versions}}  {sent_at}  {attributes}".rstrip(),
        )
        _line(console, " " * (phones + 4), sms.url)


def _closed_port_url() -> str:
    """A loopback URL nobody listens on: connecting is refused at once."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    return f"http://127.0.0.1:{port}"


def _refusing_numbers() -> str | None:
    """A version whose custom attributes admit no number (the first in the registry),
    read from each version's effective spec; None when every version admits one."""
    from jsonschema import Draft4Validator

    from intercom_phone_switch import spec
    from intercom_phone_switch_generated.registry import VERSIONS

    for version in VERSIONS:
        schema = spec.effective(version).attribute_schema
        if schema is None:
            continue
        checked = {
            **spec.to_json_schema(schema),
            "components": spec.to_json_schema(spec.effective(version).document["components"]),
        }
        if not Draft4Validator(checked).is_valid({"seats": 3}):
            return version
    return None


def _provoke_errors(console: Console, fake: FakeIntercom, url: str) -> list[Outcome]:
    from intercom_phone_switch import (
        AuthenticationError,
        ConnectionFailed,
        DeliveryUnknown,
        InvalidCustomAttributes,
        InvalidPhoneNumber,
        LandlinePhoneNumber,
        PhoneSwitchError,
        RateLimited,
        ServerError,
        SmsNotSent,
        UnsupportedVersion,
    )

    mobile = phone(99)

    def send(client: PhoneSwitchClient, *args: Any, **kwargs: Any) -> Callable[[], object]:
        return lambda: client.create_phone_switch(*args, **kwargs)

    def rate_limited(client: PhoneSwitchClient) -> Callable[[], object]:
        def run() -> object:
            budget = fake.rate_limiter.limit
            fake.rate_limiter.configure(limit=1)
            try:
                # The budget is 1 per window: the second call in a window is refused. A
                # window may end between the two, so a few tries are allowed.
                for _ in range(3):
                    client.create_phone_switch(mobile)
                    client.create_phone_switch(mobile)
                return None
            finally:
                fake.rate_limiter.configure(limit=budget)

        return run

    def fault(kind: str, client: PhoneSwitchClient) -> Callable[[], object]:
        def run() -> object:
            fake.faults.script(kind)
            return client.create_phone_switch(mobile)

        return run

    _title(console, "One of each error the client raises")
    outcomes = []
    strict = _refusing_numbers()
    with (
        _client(url, max_retries=0) as client,
        _client(url, token="not-a-valid-token", max_retries=0) as stranger,
        _client(_closed_port_url(), max_retries=0, timeout=2.0) as nowhere,
    ):
        cases: list[tuple[str, type[PhoneSwitchError], Callable[[], object]]] = [
            ("invalid number", InvalidPhoneNumber, send(client, "+1 123")),
            ("landline", LandlinePhoneNumber, send(client, LANDLINE)),
            ("bad token", AuthenticationError, send(stranger, mobile)),
            ("rate limit", RateLimited, rate_limited(client)),
        ]
        if strict is not None:
            cases.append(
                (
                    f"attribute not allowed in {strict}",
                    InvalidCustomAttributes,
                    send(client, mobile, {"seats": 3}, version=strict),
                )
            )
        cases += [
            ("unknown version", UnsupportedVersion, send(client, mobile, version="preview")),
            ("SMS not sent (fault)", SmsNotSent, fault("sms_failed", client)),
            ("server error (fault)", ServerError, fault("server_error_before", client)),
            ("dropped connection (fault)", DeliveryUnknown, fault("drop_after_sms", client)),
            ("nobody listening", ConnectionFailed, send(nowhere, mobile)),
        ]
        names = max(len(case) for case, _, _ in cases)
        kinds = max(len(expected.__name__) for _, expected, _ in cases)
        for case, expected, call in cases:
            try:
                call()
            except PhoneSwitchError as error:
                ok = type(error) is expected
                got = type(error).__name__
                status = "" if error.status is None else f"status {error.status}"
                message = error.message
            except Exception as error:  # nobody expected it: a misbehaving step
                ok, got, status, message = False, "an unexpected error", "", _unexpected(error)
            else:
                ok, got, status, message = False, "no error", "", ""
            _line(
                console,
                f"  {case:<{names}}  ",
                (f"{got:<{kinds}}", "green" if ok else "red"),
                f"  {status}".rstrip(),
            )
            if message:
                _line(console, " " * 6, message)
            outcomes.append(Outcome(case, expected.__name__, got, ok, message))
    return outcomes
