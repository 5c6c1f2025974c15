"""``intercom-phone-switch demo``: the whole client against the embedded fake Intercom.

Starts the fake on a free 127.0.0.1 port, sends one phone switch through the client for
every supported Intercom-Version, shows the answers and the fake's outbox, then provokes
one of each error the client raises and shows its message. Needs no account and no
network. Exit status 0 when everything behaved as expected, 1 otherwise. With
``--keep-serving`` the fake stays up afterwards, its outbox page open for a look, until
Ctrl-C.
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
    epilog="Exit status: 0 every step behaved as expected; 1 a step misbehaved; 2 usage error."
)
@click.option(
    "--keep-serving",
    is_flag=True,
    help="Keep the fake running afterwards, with its outbox page, until Ctrl-C.",
)
def demo(keep_serving: bool) -> None:
    """Send phone switches for every version to a local fake Intercom, and show each error."""
    from rich.console import Console

    console = Console()
    if not console.is_terminal:
        # Piped (under nox, say): wide enough that URLs and request ids fit on one line.
        console = Console(width=max(console.width, 160))
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


def _summary(console: Console, outcomes: list[Outcome]) -> int:
    failed = [outcome for outcome in outcomes if not outcome.ok]
    if failed:
        console.print(f"[bold red]{len(failed)} of {len(outcomes)} steps misbehaved:[/bold red]")
        for outcome in failed:
            console.print(
                f"  {outcome.step}: expected {outcome.expected}, got {outcome.got} {outcome.detail}"
            )
        return 1
    console.print(f"[bold green]All {len(outcomes)} steps behaved as expected.[/bold green]")
    return 0


def _client(url: str, token: str = TOKEN, **options: Any) -> PhoneSwitchClient:
    from intercom_phone_switch import PhoneSwitchClient

    return PhoneSwitchClient(token, base_url=url, **options)


def _send_every_version(console: Console, fake: FakeIntercom, url: str) -> list[Outcome]:
    from rich.table import Table

    from intercom_phone_switch import PhoneSwitchError
    from intercom_phone_switch_generated.registry import VERSIONS

    table = Table(
        title="One phone switch per supported Intercom-Version",
        caption="ms: the whole call, including loading that version's generated package",
    )
    for column in ("version", "outcome", "url", "request id", "ms"):
        table.add_column(column, justify="right" if column == "ms" else "left", overflow="fold")
    outcomes = []
    with _client(url, max_retries=0) as client:
        for index, version in enumerate(VERSIONS):
            number = phone(index)
            attributes = {"demo_version": version, "issue_type": "Billing"}
            started = time.perf_counter()
            result: PhoneSwitch | PhoneSwitchError
            try:
                result = client.create_phone_switch(number, attributes, version=version)
            except PhoneSwitchError as error:
                result = error
            elapsed = (time.perf_counter() - started) * 1000
            outcome = _check_sent(fake, version, number, result)
            outcomes.append(outcome)
            style = "green" if outcome.ok else "red"
            table.add_row(
                version,
                f"[{style}]{outcome.got}[/{style}]",
                getattr(result, "url", "") or outcome.detail,
                result.request_id or "",
                f"{elapsed:.1f}",
            )
    console.print(table)
    return outcomes


def _check_sent(
    fake: FakeIntercom, version: str, phone: str, result: PhoneSwitch | PhoneSwitchError
) -> Outcome:
    from intercom_phone_switch import PhoneSwitchError

    step = f"phone switch with Intercom-Version {version}"
    if isinstance(result, PhoneSwitchError):
        return Outcome(step, "PhoneSwitch", type(result).__name__, False, result.message)
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
    from rich.table import Table

    table = Table(title=f"The fake's outbox ({fake.outbox.total} SMS sent)")
    for column in ("phone", "version", "url", "custom attributes", "sent at"):
        table.add_column(column, overflow="fold")
    for sms in fake.outbox.messages():
        attributes = ", ".join(f"{key}={value}" for key, value in sms.custom_attributes.items())
        table.add_row(
            sms.phone, sms.version, sms.url, attributes, sms.sent_at.strftime("%H:%M:%S.%f")[:-3]
        )
    console.print(table)


def _closed_port_url() -> str:
    """A loopback URL nobody listens on: connecting is refused at once."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    return f"http://127.0.0.1:{port}"


def _provoke_errors(console: Console, fake: FakeIntercom, url: str) -> list[Outcome]:
    from rich.table import Table

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

    table = Table(title="One of each error the client raises")
    for column in ("case", "error", "status", "message"):
        table.add_column(column, overflow="fold")
    outcomes = []
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
            (
                "attribute not allowed in 2.13",
                InvalidCustomAttributes,
                send(client, mobile, {"seats": 3}, version="2.13"),
            ),
            ("unknown version", UnsupportedVersion, send(client, mobile, version="preview")),
            ("SMS not sent (fault)", SmsNotSent, fault("sms_failed", client)),
            ("server error (fault)", ServerError, fault("server_error_before", client)),
            ("dropped connection (fault)", DeliveryUnknown, fault("drop_after_sms", client)),
            ("nobody listening", ConnectionFailed, send(nowhere, mobile)),
        ]
        for case, expected, call in cases:
            try:
                call()
            except PhoneSwitchError as error:
                ok = type(error) is expected
                got = type(error).__name__
                table.add_row(
                    case,
                    f"[{'green' if ok else 'red'}]{got}[/]",
                    "" if error.status is None else str(error.status),
                    error.message,
                )
                outcomes.append(Outcome(case, expected.__name__, got, ok, error.message))
            else:
                table.add_row(case, "[red]no error[/]", "", "")
                outcomes.append(Outcome(case, expected.__name__, "no error", False))
    console.print(table)
    return outcomes
