"""The fake Intercom workspace: its settings, its state and its ASGI app."""

from __future__ import annotations

import itertools
import time
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING

from starlette.types import Receive, Scope, Send

from intercom_phone_switch._effective import PATH
from intercom_phone_switch.generated.registry import HEADER_VALUES, LATEST_VERSION

from ._admin import admin_app
from ._bounds import MAX_BODY_BYTES
from ._contract import VersionContract, contracts
from ._endpoint import PhoneSwitchEndpoint
from ._faults import FaultInjector
from ._ratelimit import DEFAULT_LIMIT, DEFAULT_WINDOW, RateLimiter
from ._state import Contacts, Outbox

if TYPE_CHECKING:
    from ._server import FakeServer
    from ._transport import FakeAsyncTransport, FakeTransport

#: The access token a fake accepts unless told otherwise.
DEFAULT_TOKEN = "fake-intercom-token"


class FakeIntercom:
    """An Intercom workspace in memory, serving ``POST /phone_call_redirects``.

    The instance is an ASGI app. Run it in-process with :meth:`transport` (sync) or
    :meth:`async_transport`, or on a port with :meth:`serve`. Everything it knows about
    the API comes from each supported version's effective spec.

    :param tokens: the access tokens it accepts.
    :param default_version: the workspace's API version, used when a request carries no
        ``Intercom-Version`` header; any value Intercom accepts.
    :param rate_limit: calls per token in each window; ``rate_limit_window`` seconds long.
    :param outbox_cap: how many sent SMS the outbox keeps (the oldest go first).
    :param contacts_cap: how many contacts are kept (the least recently updated go first).
    :param fault_log_cap: how many injected faults the fault log keeps.
    :param max_body_bytes: larger request bodies get a 400; also what one contact keeps
        of custom attributes (the least recently set go first).
    :param outbox_max_bytes: how many bytes of SMS the outbox keeps (their attributes'
        JSON plus about 1 KiB each; the oldest go first).
    :param contacts_max_bytes: the same for the contacts (the least recently updated go).
    :param clock: the UNIX time in seconds; rate limit windows and timestamps follow it.
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
    ) -> None:
        self._contracts = contracts()
        self.tokens = frozenset(tokens)
        self._default_version: str = LATEST_VERSION
        self.default_version = default_version
        self.max_body_bytes: int = MAX_BODY_BYTES.check(max_body_bytes)
        self.clock = clock
        self.rate_limiter = RateLimiter(rate_limit, rate_limit_window, clock)
        self.outbox = Outbox(outbox_cap, outbox_max_bytes)
        self.contacts = Contacts(contacts_cap, contacts_max_bytes, self.max_body_bytes)
        self.faults = FaultInjector(fault_log_cap)
        self._sequence = itertools.count(1)
        self._endpoint = PhoneSwitchEndpoint(self)
        self._admin = admin_app(self, self._endpoint)

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

    # -- ASGI ------------------------------------------------------------------------------
    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["method"] == "POST" and scope["path"] == PATH:
            await self._endpoint(scope, receive, send)
        else:
            await self._admin(scope, receive, send)

    # -- running it ---------------------------------------------------------------------------
    def transport(self) -> FakeTransport:
        """A sync httpx transport that calls this app in-process (no socket)."""
        from ._transport import FakeTransport

        return FakeTransport(self)

    def async_transport(self) -> FakeAsyncTransport:
        """An async httpx transport that calls this app in-process (no socket)."""
        from ._transport import FakeAsyncTransport

        return FakeAsyncTransport(self)

    def serve(self, host: str = "127.0.0.1", port: int = 0, http: str = "auto") -> FakeServer:
        """A real HTTP server for this fake, started; use it as a context manager."""
        from ._server import FakeServer

        return FakeServer(self, host=host, port=port, http=http).start()

    def __repr__(self) -> str:
        return (
            f"<FakeIntercom tokens={len(self.tokens)} default_version={self.default_version!r}"
            f" sent={self.outbox.total}>"
        )
