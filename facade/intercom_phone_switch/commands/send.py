"""``intercom-phone-switch send``: send one phone switch and show what Intercom answered.

Exit status (``Exit``), chosen so that a script may send again only on 1:

- 0: the SMS was accepted: a phone switch, or any answer with a 2xx status whose body
  could not be read (a warning on stderr says so). Do not send it again. With
  --idempotency-key, also when it had been accepted before (the outcome is then marked as
  replayed and nothing is sent).
- 1: no SMS was sent: the client refused the input, or Intercom refused the request
  (the error says why).
- 2: usage error: the command line is wrong (an option, a URL, a token); nothing was sent.
- 3: it is unknown whether an SMS was sent (no answer, a 5xx, an undocumented answer that
  is not a refusal, an interruption, or a guard that could not record the outcome).
  Check before sending again.
"""

from __future__ import annotations

import enum
import json
import math
from datetime import datetime, timezone
from typing import Any

import click

from intercom_phone_switch_generated.registry import HEADER_VALUES, LATEST_VERSION

from ._options import (
    BaseUrl,
    check_token,
    guard_options,
    intercom_version_option,
    region_option,
    token_option,
)
from ._output import Output


class Exit(enum.IntEnum):
    """The exit status of ``send``."""

    ACCEPTED = 0
    NOT_SENT = 1
    USAGE = 2
    UNKNOWN = 3


#: Exit status when Intercom may or may not have sent the SMS.
EXIT_DELIVERY_UNKNOWN = Exit.UNKNOWN

#: What each exit status means, for the JSON output and the messages.
OUTCOMES = {Exit.ACCEPTED: "accepted", Exit.NOT_SENT: "not_sent", Exit.UNKNOWN: "unknown"}


def exit_status(error: Exception) -> Exit:
    """What an error from the client means for the SMS.

    A status line in the 2xx range means Intercom accepted the request, whatever its body
    said. A 4xx is a refusal. Any other answer (no status, 1xx, 3xx, 5xx), and anything but
    a PhoneSwitchError, leaves the outcome unknown.
    """
    from intercom_phone_switch.errors import DeliveryUnknown, PhoneSwitchError, UnexpectedResponse
    from intercom_phone_switch.guard import GuardUnavailable

    if not isinstance(error, PhoneSwitchError):
        return Exit.UNKNOWN
    if isinstance(error, GuardUnavailable):  # nothing sent, or an outcome not recorded
        return Exit.NOT_SENT if error.sms_sent is False else Exit.UNKNOWN
    status = error.status
    if status is not None and 200 <= status < 300:
        return Exit.ACCEPTED
    if isinstance(error, DeliveryUnknown):
        return Exit.UNKNOWN
    if isinstance(error, UnexpectedResponse) and not (status is not None and 400 <= status < 500):
        return Exit.UNKNOWN
    return Exit.NOT_SENT


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a JSON value")


def _json_value(text: str) -> Any:
    value = json.loads(text, parse_constant=_reject_constant)
    stack = [value]
    while stack:  # 1e999 parses as inf, which no JSON document can carry
        item = stack.pop()
        if isinstance(item, float) and not math.isfinite(item):
            raise ValueError("the number is too large for JSON")
        if isinstance(item, dict):
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
    return value


def _attribute(text: str) -> tuple[str, Any]:
    """``key=value`` (the value as a string) or ``key:=json`` (a JSON value)."""
    name, equals, value = text.partition("=")
    if not equals or not name or name == ":":
        raise click.BadParameter(f"{text!r}: write key=value, or key:=json for a JSON value")
    if name.endswith(":"):
        try:
            return name[:-1], _json_value(value)
        except RecursionError:
            message = f"{name[:-1]!r}: the JSON value is nested too deeply"
            raise click.BadParameter(message) from None
        except ValueError as error:
            raise click.BadParameter(f"{text!r}: {value!r} is not JSON ({error})") from None
    return name, value


def _attributes(texts: tuple[str, ...]) -> dict[str, Any] | None:
    attributes: dict[str, Any] = {}
    for text in texts:
        name, value = _attribute(text)
        if name in attributes:
            raise click.BadParameter(f"{name!r} is given twice", param_hint="--attr")
        attributes[name] = value
    return attributes or None


@click.command(
    short_help="Send one phone switch: text PHONE a Messenger link.",
    epilog=(
        "Exit status: 0 the SMS was accepted (also a 2xx answer that could not be read: "
        "a warning says so; do not send again); 1 no SMS was sent; 2 usage error, nothing "
        "was sent; 3 unknown whether an SMS was sent: check before sending again."
    ),
)
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
@intercom_version_option(
    default=LATEST_VERSION,
    show_default=True,
    type=click.Choice(list(HEADER_VALUES)),
    help="The Intercom-Version header to send.",
)
@region_option("Intercom's servers to use (default: us).")
@click.option("--base-url", type=BaseUrl(), default=None, help="Send to this server instead.")
@token_option
@guard_options
@click.option("--json", "as_json", is_flag=True, help="Print the outcome as JSON on stdout.")
@click.pass_context
def send(
    ctx: click.Context,
    phone: str,
    attributes: tuple[str, ...],
    intercom_version: str,
    region: str | None,
    base_url: str | None,
    token: str | None,
    idempotency_key: str | None,
    guard: str | None,
    as_json: bool,
) -> None:
    """Text PHONE (E.164, e.g. +353832345678) a link to the Intercom Messenger."""
    from intercom_phone_switch import PhoneSwitchClient
    from intercom_phone_switch.errors import PhoneSwitchError

    if region is not None and base_url is not None:
        raise click.UsageError("pass --region or --base-url, not both")
    custom = _attributes(attributes)
    token = check_token(token)
    output = Output([token])
    # An embedding program (or a test) may hand over its own httpx.Client as ctx.obj.
    options: dict[str, Any] = ctx.obj if isinstance(ctx.obj, dict) else {}
    try:
        client = PhoneSwitchClient(
            token,
            version=intercom_version,  # type: ignore[arg-type]  # a checked Choice
            region=region,  # type: ignore[arg-type]
            base_url=base_url,
            http_client=options.get("http_client"),
            guard=guard,
        )
    except (PhoneSwitchError, ValueError, TypeError) as error:  # a bad --base-url, --guard
        raise click.UsageError(output.text(getattr(error, "message", error))) from None
    with output.library_logs(), client:
        try:
            switch = client.create_phone_switch(phone, custom, idempotency_key=idempotency_key)
        except KeyboardInterrupt:
            output.line("Interrupted: " + _VERDICTS[Exit.UNKNOWN], err=True)
            ctx.exit(Exit.UNKNOWN)
        except Exception as error:  # every failure ends in an outcome, never a traceback
            status = exit_status(error)
            _show_error(output, error, status, as_json)
            ctx.exit(status)
    _show_switch(output, switch, as_json)


def _show_switch(output: Output, switch: Any, as_json: bool) -> None:
    import attrs

    if as_json:
        output.json({**attrs.asdict(switch), "outcome": OUTCOMES[Exit.ACCEPTED]})
        return
    output.line(f"Phone switch sent to {switch.phone}", bold=True)
    output.line(f"Messenger link: {switch.url}")
    output.line(f"Intercom-Version: {switch.version}")
    output.line(f"request id: {switch.request_id or '-'}")
    limit = switch.rate_limit
    if limit.remaining is not None:
        left = f"{limit.remaining} of {limit.limit}" if limit.limit is not None else limit.remaining
        reset = when(limit.reset, limit.reset_at)
        output.line(f"rate limit: {left} left" + (f" until {reset}" if reset else ""))
    output.line(f"attempts: {switch.attempts}")
    if switch.replayed:
        output.line("replayed: yes, recorded earlier for this idempotency key; nothing sent")


def when(reset: int | None, at: datetime | None, now: datetime | None = None) -> str | None:
    """A rate limit's reset, readable: ``14:03:21 UTC (in 42 s; UNIX time 1712345678)``;
    the date too when it is not today. None when there is none."""
    if reset is None:
        return None
    if at is None:  # a number no calendar holds
        return f"UNIX time {reset}"
    now = now or datetime.now(timezone.utc)
    shown = (
        at.strftime("%H:%M:%S UTC")
        if at.date() == now.date()
        else at.strftime("%Y-%m-%d %H:%M:%S UTC")
    )
    seconds = round((at - now).total_seconds())
    delta = f"in {_duration(seconds)}" if seconds >= 0 else f"{_duration(-seconds)} ago"
    return f"{shown} ({delta}; UNIX time {reset})"


def _duration(seconds: int) -> str:
    if seconds < 120:
        return f"{seconds} s"
    if seconds < 7200:
        return f"{seconds // 60} min"
    if seconds < 172_800:
        return f"{seconds // 3600} h"
    return f"{seconds // 86_400} days"


_VERDICTS = {
    Exit.ACCEPTED: (
        "Intercom accepted the request (a 2xx answer), so the SMS went out, but its answer "
        "could not be read. Do not send it again."
    ),
    Exit.NOT_SENT: "No SMS was sent.",
    Exit.UNKNOWN: "An SMS may have been sent: check before sending it again.",
}


def _reset_of(error: Exception) -> str | None:
    from intercom_phone_switch.errors import RateLimited

    if not isinstance(error, RateLimited):
        return None
    return when(error.reset, error.reset_at)


def _show_error(output: Output, error: Exception, status: Exit, as_json: bool) -> None:
    from intercom_phone_switch.errors import PhoneSwitchError, RateLimited

    if isinstance(error, PhoneSwitchError):
        fields: dict[str, Any] = {
            "error": type(error).__name__,
            "message": error.message,
            "status": error.status,
            "code": error.code,
            "request_id": error.request_id,
            "version": error.version,
            "attempts": error.attempts,
            "replayed": error.replayed,
        }
        fields["sms_sent"] = error.sms_sent
        if isinstance(error, RateLimited):
            fields["reset"] = error.reset
            fields["reset_at"] = None if error.reset_at is None else error.reset_at.isoformat()
    else:
        fields = {"error": type(error).__name__, "message": f"the client failed: {error}"}
    fields["outcome"] = OUTCOMES[status]
    if as_json:
        output.json(fields)
        if status is Exit.ACCEPTED:
            output.line(f"warning: {_VERDICTS[status]}", err=True)
        return
    prefix = "warning: " if status is Exit.ACCEPTED else ""
    output.line(f"{prefix}{fields['error']}: {fields['message']}", err=True, bold=True)
    if fields.get("replayed"):
        output.line("  replayed: the recorded outcome of this idempotency key", err=True)
    for key in ("status", "code", "request_id", "version", "sent"):
        if fields.get(key) is not None:
            output.line(f"  {key}: {fields[key]}", err=True)
    reset = _reset_of(error)
    if reset is not None:
        output.line(f"  the rate limit's window resets at {reset}", err=True)
    output.line(_VERDICTS[status], err=True)
    if status is Exit.ACCEPTED:
        output.line(f"Phone switch accepted (status {fields['status']}); no Messenger link.")
