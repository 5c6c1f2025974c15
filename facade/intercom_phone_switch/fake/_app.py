"""The fake Intercom workspace: its settings, its state and its ASGI app."""

from __future__ import annotations

import dataclasses
import itertools
import time
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING

from starlette.types import Receive, Scope, Send

from intercom_phone_switch.spec import PATH
from intercom_phone_switch_generated.registry import HEADER_VALUES, LATEST_VERSION

from ._admin import admin_app
from ._bounds import MAX_BODY_BYTES
from ._contract import VersionContract, contracts
from ._endpoint import PhoneSwitchEndpoint
from ._events import Changes
from ._faults import FaultInjector
from ._guard import refuse, refused_write
from ._page import page_app
from ._ratelimit import DEFAULT_LIMIT, DEFAULT_WINDOW, RateLimiter
from ._state import Contacts, Outbox

if TYPE_CHECKING:
    from ._server import FakeServer
    from ._transport import FakeAsyncTransport, FakeTransport

#: The access token a fake accepts unless told otherwise.
DEFAULT_TOKEN = "fake-intercom-token"
#: The longest token and Messenger base URL taken.
TOKEN_CHARS = 4_096
URL_CHARS = 2_048


def _check_token(token: object) -> None:
    """A token a client can send: non-empty visible ASCII (an HTTP header carries no
    other), at most TOKEN_CHARS long."""
    if not isinstance(token, str):
        raise TypeError(f"a token is a string, not {type(token).__name__}")
    if not 0 < len(token) <= TOKEN_CHARS or not all("!" <= ch <= "~" for ch in token):
        raise ValueError(
            f"a token is 1 to {TOKEN_CHARS} visible ASCII characters (no spaces, no"
            " control characters), as an Authorization header carries it"
        )


def _check_url(value: object) -> None:
    """An http(s) base URL that every answer and page can carry (UTF-8, no spaces or
    control characters), at most URL_CHARS long."""
    if not isinstance(value, str):
        raise TypeError(f"messenger_url is a string, not {type(value).__name__}")
    shown = repr(value[:80])
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise ValueError(f"messenger_url holds text UTF-8 cannot carry: {shown}") from None
    if len(value) > URL_CHARS or any(ch.isspace() or not ch.isprintable() for ch in value):
        raise ValueError(
            f"messenger_url is at most {URL_CHARS} printable characters, no spaces: {shown}"
        )
    if not value.startswith(("http://", "https://")) or len(value.split("//", 1)[1]) == 0:
        raise ValueError(f"messenger_url is an http(s) URL, not {shown}")


class FakeIntercom:
    """An Intercom workspace in memory, serving ``POST /phone_call_redirects``.

    The instance is an ASGI app. Run it in-process with ``transport()`` (sync) or
    ``async_transport()``, or on a port with ``serve()``. Everything it knows about
    the API comes from each supported version's effective spec.

    Args:
        tokens: the access tokens it accepts.
        default_version: the workspace's API version, used when a request carries no
            ``Intercom-Version`` header; any value Intercom accepts.
        rate_limit: calls per token in each window; ``rate_limit_window`` seconds long.
        rate_limit_window: the length of a rate limit window, in seconds.
        outbox_cap: how many sent SMS the outbox keeps (the oldest go first).
        contacts_cap: how many contacts are kept (the least recently updated go first).
        fault_log_cap: how many injected faults the fault log keeps.
        max_body_bytes: larger request bodies get a 400; also what one contact keeps of
            custom attributes (the least recently set go first).
        outbox_max_bytes: how many bytes of SMS the outbox keeps (their attributes' JSON
            plus about 1 KiB each; the oldest go first).
        contacts_max_bytes: the same for the contacts (the least recently updated go).
        clock: the UNIX time in seconds; rate limit windows and timestamps follow it.
        messenger_url: None: Messenger links in Intercom's shape; a base URL (this fake's,
            once served): links to its ``/msgr/<id>`` pages, which the fake serves.
    """

    def __init__(
        self,
        *,
        tokens: Iterable[str] = (DEFAULT_TOKEN,),
        default_version: str = LATEST_VERSION,
        rate_limit: int = DEFAULT_LIMIT,
        rate_limit_window: float = DEFAULT_WINDOW,
        outbox_cap: int = 10_000,
        contacts_cap: int = 10_000,
        fault_log_cap: int = 10_000,
        max_body_bytes: int = 64 * 1024,
        outbox_max_bytes: int = 32 * 1024 * 1024,
        contacts_max_bytes: int = 32 * 1024 * 1024,
        clock: Callable[[], float] = time.time,
        messenger_url: str | None = None,
    ) -> None:
        self._contracts = self._intercom_contracts = contracts()
        self.messenger_url = messenger_url
        self.tokens = tokens
        self._default_version: str = LATEST_VERSION
        self.default_version = default_version
        self.max_body_bytes: int = MAX_BODY_BYTES.check(max_body_bytes)
        self.clock = clock
        self.rate_limiter: RateLimiter = RateLimiter(rate_limit, rate_limit_window, clock)
        self.outbox: Outbox = Outbox(outbox_cap, outbox_max_bytes)
        self.contacts: Contacts = Contacts(contacts_cap, contacts_max_bytes, self.max_body_bytes)
        self.faults: FaultInjector = FaultInjector(fault_log_cap)
        self._sequence = itertools.count(1)
        self._endpoint = PhoneSwitchEndpoint(self)
        self.changes: Changes = Changes()
        # Everything but the endpoint: the web outbox in front of the admin API.
        self._admin = page_app(self, admin_app(self, self._endpoint))

    # -- settings ---------------------------------------------------------------------------
    @property
    def default_version(self) -> str:
        """The ``Intercom-Version`` used when a request sends none."""
        return self._default_version

    @default_version.setter
    def default_version(self, value: str) -> None:
        if not self.accepts_version(value):
            raise ValueError(f"Intercom does not accept the version {value!r}")
        self._default_version = value

    @property
    def messenger_url(self) -> str | None:
        """Where Messenger links point: None for Intercom, else a base URL + ``/msgr/<id>``."""
        return self._messenger_url

    @messenger_url.setter
    def messenger_url(self, value: str | None) -> None:
        if value is not None:
            _check_url(value)
        self._messenger_url = None if value is None else value.rstrip("/")
        prefix = f"{self._messenger_url}/msgr/"
        self._contracts = (
            self._intercom_contracts
            if value is None
            else {
                version: dataclasses.replace(contract, url_prefix=prefix)
                for version, contract in self._intercom_contracts.items()
            }
        )

    @property
    def tokens(self) -> frozenset[str]:
        """The access tokens the fake accepts."""
        return self._tokens

    @tokens.setter
    def tokens(self, value: Iterable[str]) -> None:
        if isinstance(value, str):
            raise TypeError("tokens is a collection of tokens, not one string")
        found = frozenset(value)
        for token in found:
            _check_token(token)
        self._tokens = found

    @staticmethod
    def accepts_version(value: str) -> bool:
        """Whether Intercom accepts ``value`` as an ``Intercom-Version`` header."""
        return value in HEADER_VALUES

    def contract(self, version: str) -> VersionContract:
        """The contract serving an accepted ``Intercom-Version`` value."""
        return self._contracts[HEADER_VALUES[version]]

    def next_sequence(self) -> int:
        return next(self._sequence)

    def reset(self) -> None:
        """Empty the outbox, the contacts, the faults (and their log) and the budgets."""
        self.outbox.clear()
        self.contacts.clear()
        self.faults.reset()
        self.rate_limiter.reset()
        self.changes.notify()

    # -- ASGI ------------------------------------------------------------------------------
    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] in ("GET", "HEAD"):
            await self._admin(scope, receive, send)  # the page and reads: they change nothing
            return
        try:
            if scope["method"] == "POST" and scope["path"] == PATH:
                await self._endpoint(scope, receive, send)
                return
            refused = refused_write(scope)  # a web page elsewhere must not drive the fake
            if refused is not None:
                await refuse(scope, receive, send, *refused)
                return
            await self._admin(scope, receive, send)
        finally:
            self.changes.notify()  # the page's event streams then show what changed

    # -- running it ---------------------------------------------------------------------------
    def transport(self) -> FakeTransport:
        """A sync httpx transport that calls this app in-process (no socket)."""
        from ._transport import FakeTransport

        return FakeTransport(self)

    def async_transport(self) -> FakeAsyncTransport:
        """An async httpx transport that calls this app in-process (no socket)."""
        from ._transport import FakeAsyncTransport

        return FakeAsyncTransport(self)

    def serve(
        self,
        host: str = "127.0.0.1",
        port: int = 0,
        http: str = "auto",
        allowed_hosts: Iterable[str] = (),
    ) -> FakeServer:
        """A real HTTP server for this fake, started; use it as a context manager.

        It answers requests whose ``Host`` is an IP address, ``localhost``, ``host``
        (when a name) or one of ``allowed_hosts``, and refuses the others (403): a web
        page cannot reach it through a DNS name rebound to this machine.
        """
        from ._server import FakeServer

        server = FakeServer(self, host=host, port=port, http=http, allowed_hosts=allowed_hosts)
        return server.start()

    @property
    def token(self) -> str:
        """A token this fake accepts (the first of ``tokens`` in sorted order), for clients
        and tests that need one; ValueError when it accepts none."""
        if not self.tokens:
            raise ValueError("the fake accepts no token")
        return min(self.tokens)

    def __repr__(self) -> str:
        return (
            f"<FakeIntercom tokens={len(self.tokens)} default_version={self.default_version!r}"
            f" sent={self.outbox.total}>"
        )
