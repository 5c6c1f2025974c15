"""``intercom-phone-switch guard show KEY`` and ``guard forget KEY``: an idempotency key's
record in the guard's store (state, recorded outcome, time left), and the explicit
override that deletes it. Nothing printed shows the guard URL's password or user."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

import click

from ._options import _key, guard_url_option, open_guard

if TYPE_CHECKING:
    from intercom_phone_switch._redact import Masker
    from intercom_phone_switch.guard import Guard

_EXIT = "Exit status: 0 done; 1 the guard's store could not be read or written; 2 usage error."


@click.group(epilog=_EXIT)
def guard() -> None:
    """Inspect or forget idempotency keys in a guard's store."""


def _open(url: str | None) -> tuple[Guard, Masker]:
    from intercom_phone_switch._redact import Masker, url_secrets

    if url is None:
        raise click.UsageError("pass --guard URL or set INTERCOM_PHONE_SWITCH_GUARD")
    if url.lower().startswith("memory:"):
        raise click.UsageError("a memory:// guard lives in one process; name a shared store")
    opened = open_guard(url)
    assert opened is not None
    return opened, Masker(url_secrets(url))


@guard.command(epilog=_EXIT)
@click.argument("key", callback=_key)
@guard_url_option
@click.option("--json", "as_json", is_flag=True, help="Print the state as JSON.")
def show(key: str, guard: str | None, as_json: bool) -> None:
    """Show KEY's state: free, pending, accepted, refused or unknown."""
    import attrs

    from intercom_phone_switch.errors import PhoneSwitchError
    from intercom_phone_switch.guard import StoreError

    opened, mask = _open(guard)
    try:
        state = opened.state(key)
    except StoreError as error:
        raise click.ClickException(mask(str(error))) from None
    finally:
        opened.close()
    outcome: dict[str, Any] | None = None
    if isinstance(state.outcome, PhoneSwitchError):
        failure = state.outcome
        outcome = {
            "error": type(failure).__name__,
            "message": failure.message,
            "status": failure.status,
            "sms_sent": failure.sms_sent,
            "replayed": failure.replayed,
        }
    elif state.outcome is not None:
        outcome = attrs.asdict(state.outcome)
    expires = None if state.expires_in is None else round(state.expires_in, 1)
    document = {"key": key, "state": state.state, "expires_in": expires, "outcome": outcome}
    if as_json:
        click.echo(mask(json.dumps(document, sort_keys=True)))
        return
    click.echo(
        mask(f"{key}: {state.state}" + ("" if expires is None else f" (expires in {expires} s)"))
    )
    meaning = {
        "free": "no record: the next send with this key sends.",
        "pending": "a call holds the key and is sending.",
        "accepted": "Intercom accepted it; later sends replay the recorded switch.",
        "refused": "nothing was sent; the next send with this key sends.",
        "unknown": "an SMS may have gone out; later sends raise DeliveryUnknown until"
        " the record expires or is forgotten (guard forget).",
    }[state.state]
    click.echo(f"  {meaning}")
    if outcome is not None:
        for name, value in outcome.items():
            if value is not None and name != "rate_limit":
                click.echo(mask(f"  {name}: {value}"))


@guard.command(epilog=_EXIT)
@click.argument("key", callback=_key)
@guard_url_option
def forget(key: str, guard: str | None) -> None:
    """Delete KEY's record whatever its state: the next send with it sends again.

    The override for an unknown key: use it once you know no SMS went out, or accept
    that the person may get a second one.
    """
    from intercom_phone_switch.guard import StoreError

    opened, mask = _open(guard)
    try:
        found = opened.forget(key)
    except StoreError as error:
        raise click.ClickException(mask(str(error))) from None
    finally:
        opened.close()
    click.echo(mask(f"{key}: {'forgotten' if found else 'had no record'}"))
