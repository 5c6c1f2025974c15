"""``intercom-phone-switch send``: send one phone switch and show what Intercom answered.

Exit status: 0 when the SMS was accepted (or, with --idempotency-key, had been accepted
before: the outcome is then marked as replayed), 1 when no SMS was sent (the error says
why), 3 when it is unknown whether an SMS was sent (DeliveryUnknown, or a guard that could
not record the outcome), 2 for usage errors.
"""

from __future__ import annotations

import json
from typing import Any

import click

from intercom_phone_switch_generated.registry import HEADER_VALUES, LATEST_VERSION

from ._options import guard_options, region_option, token_option

#: Exit status when Intercom may or may not have sent the SMS.
EXIT_DELIVERY_UNKNOWN = 3


def _attribute(text: str) -> tuple[str, Any]:
    """``key=value`` (the value as a string) or ``key:=json`` (a JSON value)."""
    name, equals, value = text.partition("=")
    if not equals or not name:
        raise click.BadParameter(f"{text!r}: write key=value, or key:=json for a JSON value")
    if name.endswith(":"):
        try:
            return name[:-1], json.loads(value)
        except ValueError as error:
            raise click.BadParameter(f"{text!r}: {value!r} is not JSON ({error})") from None
    return name, value


@click.command()
@click.argument("phone")
@click.option(
    "--attr",
    "attributes",
    multiple=True,
    metavar="KEY=VALUE",
    help=(
        "A custom attribute (repeatable). KEY=VALUE sends the value as a string, "
        "KEY:=JSON as a JSON value (a number, true/false, an object)."
    ),
)
@click.option(
    "--version",
    "version",
    default=LATEST_VERSION,
    show_default=True,
    type=click.Choice(list(HEADER_VALUES)),
    help="The Intercom-Version header to send.",
)
@region_option("Intercom's servers to use (default: us).")
@click.option("--base-url", default=None, help="Send to this server instead of a region.")
@token_option
@guard_options
@click.option("--json", "as_json", is_flag=True, help="Print the outcome as JSON.")
@click.pass_context
def send(
    ctx: click.Context,
    phone: str,
    attributes: tuple[str, ...],
    version: str,
    region: str | None,
    base_url: str | None,
    token: str | None,
    idempotency_key: str | None,
    guard: str | None,
    as_json: bool,
) -> None:
    """Text PHONE (E.164, e.g. +353832345678) a link to the Intercom Messenger."""
    from intercom_phone_switch import PhoneSwitchClient
    from intercom_phone_switch.errors import DeliveryUnknown, PhoneSwitchError
    from intercom_phone_switch.guard import GuardUnavailable

    if region is not None and base_url is not None:
        raise click.UsageError("pass --region or --base-url, not both")
    custom = dict(_attribute(text) for text in attributes) or None
    # An embedding program (or a test) may hand over its own httpx.Client as ctx.obj.
    options: dict[str, Any] = ctx.obj if isinstance(ctx.obj, dict) else {}
    try:
        client = PhoneSwitchClient(
            token or "",
            version=version,
            region=region,  # type: ignore[arg-type]
            base_url=base_url,
            http_client=options.get("http_client"),
            guard=guard,
        )
    except PhoneSwitchError as error:
        _show_error(error, as_json)
        ctx.exit(1)
    except ValueError as error:  # a malformed --base-url or --guard
        raise click.UsageError(str(error)) from None
    try:
        with client:
            switch = client.create_phone_switch(phone, custom, idempotency_key=idempotency_key)
    except PhoneSwitchError as error:
        _show_error(error, as_json)
        unknown = isinstance(error, DeliveryUnknown) or (
            isinstance(error, GuardUnavailable) and error.sent is not False
        )
        ctx.exit(EXIT_DELIVERY_UNKNOWN if unknown else 1)
    _show_switch(switch, as_json)


def _show_switch(switch: Any, as_json: bool) -> None:
    import attrs

    if as_json:
        click.echo(json.dumps(attrs.asdict(switch), sort_keys=True))
        return
    from rich.console import Console
    from rich.table import Table

    table = Table(title="Phone switch sent", show_header=False)
    table.add_column("field", style="bold")
    table.add_column("value")
    table.add_row("phone", switch.phone)
    table.add_row("Messenger link", switch.url)
    table.add_row("Intercom-Version", switch.version)
    table.add_row("request id", switch.request_id or "-")
    limit = switch.rate_limit
    if limit.remaining is not None:
        table.add_row("rate limit", f"{limit.remaining} of {limit.limit} left until {limit.reset}")
    table.add_row("attempts", str(switch.attempts))
    if switch.replayed:
        table.add_row("replayed", "yes: recorded earlier for this idempotency key; nothing sent")
    Console().print(table)


def _show_error(error: Any, as_json: bool) -> None:
    fields = {
        "error": type(error).__name__,
        "message": error.message,
        "status": error.status,
        "code": error.code,
        "request_id": error.request_id,
        "version": error.version,
        "attempts": error.attempts,
        "replayed": error.replayed,
    }
    if hasattr(error, "sent"):
        fields["sent"] = error.sent
    if as_json:
        click.echo(json.dumps(fields, sort_keys=True))
        return
    from rich.console import Console

    console = Console(stderr=True)
    console.print(f"[bold red]{type(error).__name__}[/]: {error.message}", highlight=False)
    if error.replayed:
        console.print("  replayed: the recorded outcome of this idempotency key", highlight=False)
    for key in ("status", "code", "request_id", "version", "sent"):
        if key not in fields:
            continue
        if fields[key] is not None:
            console.print(f"  {key}: {fields[key]}", highlight=False)
