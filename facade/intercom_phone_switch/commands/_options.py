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
