"""``intercom-phone-switch serve``: run the fake Intercom on a port until interrupted."""

from __future__ import annotations

import socket

import click

from intercom_phone_switch.fake import _bounds
from intercom_phone_switch.fake._faults import ALL_KINDS as RANDOM_KINDS
from intercom_phone_switch_generated.registry import HEADER_VALUES, LATEST_VERSION

from ._bounded import Bounded


@click.command(
    short_help="Run the fake Intercom on a port until Ctrl-C.",
    epilog=(
        "Exit status: 0 stopped (Ctrl-C); 1 cannot listen (the port is taken, say); "
        "2 usage error (an option out of range, a host that does not resolve)."
    ),
)
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option(
    "--port",
    default=8000,
    show_default=True,
    type=click.IntRange(0, 65535),
    help="Port to listen on; 0 picks a free one.",
)
@click.option(
    "--token",
    "tokens",
    multiple=True,
    metavar="TOKEN",
    help="An access token to accept (repeatable). Default: fake-intercom-token.",
)
@click.option(
    "--default-version",
    default=LATEST_VERSION,
    show_default=True,
    type=click.Choice(list(HEADER_VALUES)),
    help="The workspace's version, for requests without an Intercom-Version header.",
)
@click.option(
    "--rate-limit",
    type=Bounded(_bounds.RATE_LIMIT),
    default=None,
    help="Calls per token in each window (default: Intercom's 1666 per 10 seconds).",
)
@click.option(
    "--rate-limit-window",
    type=Bounded(_bounds.RATE_LIMIT_WINDOW),
    default=None,
    help="Window length in seconds (default 10).",
)
@click.option(
    "--outbox-cap",
    type=Bounded(_bounds.OUTBOX_CAP),
    default=10_000,
    show_default=True,
    help="How many sent SMS the outbox keeps.",
)
@click.option(
    "--fault-probability",
    type=Bounded(_bounds.PROBABILITY),
    default=0.0,
    show_default=True,
    help="Inject a random fault into this share of requests.",
)
@click.option(
    "--fault-kind",
    "fault_kinds",
    multiple=True,
    type=click.Choice([kind.value for kind in RANDOM_KINDS]),
    help="A kind of random fault (repeatable). Default: every kind.",
)
@click.option(
    "--fault-seed", type=Bounded(_bounds.SEED), default=None, help="Seed of the random faults."
)
@click.option(
    "--http",
    type=click.Choice(["auto", "h11", "httptools"]),
    default="auto",
    show_default=True,
    help="uvicorn's HTTP implementation; auto takes httptools when it is installed.",
)
@click.option(
    "--messenger",
    type=click.Choice(["local", "intercom"]),
    default="local",
    show_default=True,
    help="Where the answers' Messenger links point: this fake's /msgr/<id> pages, or"
    " Intercom's (as Intercom sends them).",
)
@click.option(
    "--allowed-host",
    "allowed_hosts",
    multiple=True,
    metavar="NAME",
    help="A host name requests may name in their Host header (repeatable), besides IP"
    " addresses, localhost and --host: for a fake reached by a name (a container's, say)."
    " Other names are refused (DNS rebinding).",
)
@click.option(
    "--log-level",
    default="warning",
    show_default=True,
    type=click.Choice(["critical", "error", "warning", "info", "debug"]),
)
def serve(
    host: str,
    port: int,
    tokens: tuple[str, ...],
    default_version: str,
    rate_limit: int | None,
    rate_limit_window: float | None,
    outbox_cap: int,
    fault_probability: float,
    fault_kinds: tuple[str, ...],
    fault_seed: int | None,
    http: str,
    messenger: str,
    allowed_hosts: tuple[str, ...],
    log_level: str,
) -> None:
    """Run the fake Intercom on HOST:PORT; print its URL once it answers.

    Its outbox page is at that URL (/); the admin API (outbox, contacts, faults, reset,
    settings) is under /__fake__.
    """
    from intercom_phone_switch.fake import DEFAULT_TOKEN, FakeIntercom
    from intercom_phone_switch.fake._faults import ALL_KINDS
    from intercom_phone_switch.fake._guard import bound_names
    from intercom_phone_switch.fake._ratelimit import DEFAULT_LIMIT, DEFAULT_WINDOW
    from intercom_phone_switch.fake._server import bind, make_server, url_of

    _log_to_stderr(log_level)
    try:  # the fake checks its settings: any it refuses is a usage error
        fake = FakeIntercom(
            tokens=tokens or (DEFAULT_TOKEN,),
            default_version=default_version,
            rate_limit=rate_limit or DEFAULT_LIMIT,
            rate_limit_window=rate_limit_window or DEFAULT_WINDOW,
            outbox_cap=outbox_cap,
        )
        if fault_probability:
            fake.faults.randomly(fault_probability, kinds=fault_kinds or ALL_KINDS, seed=fault_seed)
    except (ValueError, TypeError, OverflowError) as error:
        raise click.UsageError(str(error)) from None
    try:
        sock = bind(host, port)
    except (socket.gaierror, UnicodeError) as error:
        raise click.BadParameter(f"{host!r}: {error}", param_hint="--host") from None
    except OSError as error:
        raise click.ClickException(f"cannot listen on {host}:{port}: {error}") from None
    url = url_of(sock)
    if messenger == "local":
        fake.messenger_url = url

    def ready() -> None:
        click.echo(url)
        click.echo(
            f"fake Intercom ready: POST {url}/phone_call_redirects, outbox page {url}/,"
            f" admin under {url}/__fake__; accepting {len(fake.tokens)} token(s)."
            " Ctrl-C stops it.",
            err=True,
        )

    try:
        hosts = bound_names(host) | set(allowed_hosts)
        server = make_server(fake, ready, log_level=log_level, http=http, hosts=hosts)
    except ImportError:
        sock.close()
        raise click.ClickException("httptools does not import here; try --http h11") from None
    try:
        server.run(sockets=[sock])
    except KeyboardInterrupt:
        pass  # uvicorn re-raises the Ctrl-C it handled; the server has already stopped
    finally:
        sock.close()


def _log_to_stderr(level: str) -> None:
    """The fake's own log lines (refused requests, what was wrong with an invalid one)
    on stderr, shaped like uvicorn's."""
    import logging

    logger = logging.getLogger("intercom_phone_switch.fake")
    logger.setLevel(level.upper())
    if not logger.handlers:
        handler = logging.StreamHandler()
        handler.setFormatter(logging.Formatter("%(levelname)s:  %(message)s"))
        logger.addHandler(handler)
        logger.propagate = False
