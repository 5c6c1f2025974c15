"""Options that several subcommands share, spelled once."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

import click

from intercom_phone_switch._client import REGIONS, TOKEN_VARIABLE

_F = TypeVar("_F", bound=Callable[..., Any])


def region_option(help: str) -> Callable[[_F], _F]:
    """``--region``: one of Intercom's regions (the keys of the client's REGIONS)."""
    return click.option("--region", type=click.Choice(list(REGIONS)), default=None, help=help)


token_option = click.option(
    "--token",
    envvar=TOKEN_VARIABLE,
    default=None,
    show_envvar=True,
    help="The access token (better given through the environment variable).",
)


def _key(ctx: click.Context, param: click.Parameter, value: str | None) -> str | None:
    from intercom_phone_switch.guard._guard import check_key

    if value is None:
        return None
    try:
        return check_key(value)
    except ValueError as error:
        raise click.BadParameter(str(error)) from None


def guard_url_option(f: _F) -> _F:
    """``--guard``: the guard's store URL (default: its environment variable)."""
    from intercom_phone_switch.guard._guard import GUARD_VARIABLE

    return click.option(
        "--guard",
        envvar=GUARD_VARIABLE,
        show_envvar=True,
        default=None,
        metavar="URL",
        help="The guard's store: memory://, sqlite:///path/guard.db or redis://host:port/db.",
    )(f)


def guard_options(f: _F) -> _F:
    """``--idempotency-key`` and ``--guard`` of ``send``."""
    f = guard_url_option(f)
    return click.option(
        "--idempotency-key",
        default=None,
        metavar="KEY",
        callback=_key,
        help="At most one SMS for KEY (e.g. the call's id) across every sender of the guard.",
    )(f)
