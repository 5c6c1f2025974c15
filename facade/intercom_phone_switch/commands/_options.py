"""Options and parameter types that several subcommands share, spelled once."""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TypeVar

import click

from intercom_phone_switch._settings import REGIONS, TOKEN_VARIABLE

if TYPE_CHECKING:
    from intercom_phone_switch.guard import Guard

_F = TypeVar("_F", bound=Callable[..., Any])


def region_option(help: str) -> Callable[[_F], _F]:
    """``--region``: one of Intercom's regions (the keys of the client's REGIONS)."""
    return click.option("--region", type=click.Choice(list(REGIONS)), default=None, help=help)


token_option = click.option(
    "--token",
    envvar=TOKEN_VARIABLE,
    default=None,
    show_envvar=True,
    is_eager=True,  # read first, so that no other option's message can show it
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
    from intercom_phone_switch.guard._environment import GUARD_VARIABLE

    return click.option(
        "--guard",
        envvar=GUARD_VARIABLE,
        show_envvar=True,
        default=None,
        metavar="URL",
        help="The guard's store: memory://, sqlite:///path/guard.db or redis://host:port/db.",
    )(f)


def open_guard(url: str | None, *, needed: bool = True) -> Guard | None:
    """The Guard of ``--guard URL`` (None when no URL is given and none is ``needed``).
    A URL the guard refuses is a usage error, its message never showing the URL's
    secrets; a store that cannot be opened (redis-py missing) an error (exit 1)."""
    from intercom_phone_switch.guard import Guard, StoreError

    if url is None:
        if not needed:
            return None
        raise click.UsageError(
            "--idempotency-key needs --guard URL (or INTERCOM_PHONE_SWITCH_GUARD): the "
            "store that remembers the key, shared by every sender"
        )
    try:
        return Guard(url)
    except (ValueError, TypeError) as error:
        raise click.UsageError(f"--guard: {error}") from None
    except StoreError as error:
        raise click.ClickException(str(error)) from None


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


def check_token(token: str | None) -> str:
    """The token as the client reads it, or a usage error saying what is wrong with it."""
    from intercom_phone_switch._settings import token_of
    from intercom_phone_switch.errors import AuthenticationError

    if not token or not token.strip():
        raise click.UsageError(f"no access token: pass --token or set {TOKEN_VARIABLE}")
    checked = token_of(token)
    if isinstance(checked, AuthenticationError):
        raise click.BadParameter(checked.message, param_hint="--token")
    return token.strip()


if TYPE_CHECKING:  # generic for type checkers (click 8.2+), not at run time on 8.1
    _TextType = click.ParamType[str]  # type: ignore[type-arg,unused-ignore]
else:
    _TextType = click.ParamType


class BaseUrl(_TextType):
    """An absolute http(s) URL, by the client's own rule."""

    name = "URL"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> str:
        from intercom_phone_switch._settings import base_url_of, token_of
        from intercom_phone_switch.errors import AuthenticationError

        token = token_of((ctx.params.get("token") if ctx else None) or "")
        known = None if isinstance(token, AuthenticationError) else token
        try:
            return base_url_of(None, str(value), known)
        except ValueError as error:  # the message masks credentials and the token
            self.fail(str(error), param, ctx)


class FiniteFloat(click.FloatRange):
    """A float range that refuses inf and nan (which click's FloatRange lets through)."""

    def convert(
        self, value: Any, param: click.Parameter | None, ctx: click.Context | None
    ) -> float:
        number = super().convert(value, param, ctx)
        if not math.isfinite(number):
            self.fail(f"{value!r} is not a finite number", param, ctx)
        return float(number)


def intercom_version_option(*, help: str, **options: Any) -> Callable[[_F], _F]:
    """``--intercom-version`` (also spelled ``--version`` after the command)."""
    return click.option("--intercom-version", "--version", help=help, **options)
