"""An embedded fake Intercom serving ``POST /phone_call_redirects`` for every supported
``Intercom-Version``, with an outbox, contacts, rate limits and fault injection.

    fake = FakeIntercom(tokens=["my-token"])
    client = httpx.Client(transport=fake.transport(), base_url="https://api.intercom.io")

Names are imported on first use, so that loading the pytest plugin stays cheap.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from intercom_phone_switch._extras import require
from intercom_phone_switch._lazy import lazy_exports

require("The fake Intercom", "fake")

if TYPE_CHECKING:
    from ._app import DEFAULT_TOKEN, FakeIntercom
    from ._clients import fake_async_client, fake_client
    from ._endpoint import ConnectionDropped
    from ._faults import ALL_KINDS, Fault, FaultInjector, FaultKind, FaultRecord, RandomFaults
    from ._phones import PhoneKind, classify
    from ._ratelimit import Quota, RateLimiter
    from ._server import FakeServer
    from ._state import Contact, Contacts, Outbox, SentSms
    from ._transport import FakeAsyncTransport, FakeTransport

_HOMES = {
    "DEFAULT_TOKEN": "_app",
    "FakeIntercom": "_app",
    "ConnectionDropped": "_endpoint",
    "ALL_KINDS": "_faults",
    "Fault": "_faults",
    "FaultInjector": "_faults",
    "FaultKind": "_faults",
    "FaultRecord": "_faults",
    "RandomFaults": "_faults",
    "PhoneKind": "_phones",
    "classify": "_phones",
    "Quota": "_ratelimit",
    "RateLimiter": "_ratelimit",
    "FakeServer": "_server",
    "Contact": "_state",
    "Contacts": "_state",
    "Outbox": "_state",
    "SentSms": "_state",
    "FakeAsyncTransport": "_transport",
    "FakeTransport": "_transport",
    "fake_async_client": "_clients",
    "fake_client": "_clients",
}

__all__ = [
    "ALL_KINDS",
    "DEFAULT_TOKEN",
    "ConnectionDropped",
    "Contact",
    "Contacts",
    "FakeAsyncTransport",
    "FakeIntercom",
    "FakeServer",
    "FakeTransport",
    "Fault",
    "FaultInjector",
    "FaultKind",
    "FaultRecord",
    "Outbox",
    "PhoneKind",
    "Quota",
    "RandomFaults",
    "RateLimiter",
    "SentSms",
    "classify",
    "fake_async_client",
    "fake_client",
]

# Type checkers see the names imported above, and so refuse a misspelt one; at run
# time each name is imported from its module on first use.
if not TYPE_CHECKING:
    __getattr__, __dir__ = lazy_exports(__name__, _HOMES)
