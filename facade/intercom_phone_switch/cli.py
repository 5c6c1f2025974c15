"""The ``intercom-phone-switch`` console script.

Each subcommand lives in its own module under ``intercom_phone_switch.commands`` and is
imported only when it runs or when help lists it. A command whose extra is not installed
(``serve`` and ``demo`` need ``[fake]``, ``contract`` needs ``[contract]``) is still
listed, with the extra it needs, and running it says what to install, in one line: the
help of a ``[cli]``-only install works.
"""

from __future__ import annotations

import importlib
import importlib.util
import itertools
from typing import Any

import click

from ._extras import MissingExtra, missing

#: Subcommand name -> "module:attribute" of its click command.
COMMANDS: dict[str, str] = {
    "send": "intercom_phone_switch.commands.send:send",
    "guard": "intercom_phone_switch.commands.guard:guard",
    "versions": "intercom_phone_switch.commands.versions:versions",
    "serve": "intercom_phone_switch.commands.serve:serve",
    "demo": "intercom_phone_switch.commands.demo:demo",
    "contract": "intercom_phone_switch.commands.contract:contract",
    "diff": "intercom_phone_switch.commands.diff:diff",
}


#: Subcommand -> the extra it needs beyond [cli] (each of its modules checks it too).
EXTRAS: dict[str, str] = {"serve": "fake", "demo": "fake", "contract": "contract"}


def _needs(name: str, extra: str) -> click.Command:
    """What stands for command ``name`` while its ``extra`` is not installed: listed with
    what it needs, and, whatever it is given (``--help`` too), saying what to install."""
    absent = missing(extra) or extra

    def needed() -> None:
        raise MissingExtra(f"the {name} command", extra, absent)

    return click.Command(
        name,
        callback=needed,
        help=f"Needs the [{extra}] extra: pip install 'intercom-phone-switch[{extra}]'.",
        short_help=f"(needs the [{extra}] extra)",
        add_help_option=False,
        context_settings={"ignore_unknown_options": True, "allow_extra_args": True},
    )


#: The package-version flag, valid only alone: after a command, ``--version`` is that
#: command's Intercom-Version, and ``--version 2.13 send ...`` must not read as success.
VERSION_FLAG = "--version"


class _LazyGroup(click.Group):
    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except MissingExtra as missing:  # a command of an extra that is not installed
            click.echo(f"{ctx.command_path}: {missing}", err=True)
            ctx.exit(2)

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        own = list(itertools.takewhile(lambda arg: arg.startswith("-"), args))
        if VERSION_FLAG in own and len(args) > 1:
            raise click.UsageError(
                f"{VERSION_FLAG} before a command prints this package's version and takes "
                f"nothing else; for the Intercom-Version header write it after the command: "
                f"send --intercom-version V, contract --intercom-version V",
                ctx,
            )
        return super().parse_args(ctx, args)

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(
            name
            for name, target in COMMANDS.items()
            if importlib.util.find_spec(target.split(":")[0]) is not None
        )

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        target = COMMANDS.get(cmd_name)
        if target is None or cmd_name not in self.list_commands(ctx):
            return None
        extra = EXTRAS.get(cmd_name)
        if extra is not None and missing(extra) is not None:
            return _needs(cmd_name, extra)
        module, attribute = target.split(":")
        try:
            command = getattr(importlib.import_module(module), attribute)
        except MissingExtra as absent:  # an extra's module missing that EXTRAS did not name
            return _needs(cmd_name, absent.extra)
        assert isinstance(command, click.Command)
        return command


@click.group(cls=_LazyGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(
    package_name="intercom-phone-switch",
    help="Show this package's version and exit (alone: with anything else it is an error).",
)
def main() -> None:
    """Send Intercom phone switches, run a fake Intercom, check the contract.

    Exit status: 0 success, 2 usage error (nothing was done); each command's --help
    tells what its other statuses mean.
    """
