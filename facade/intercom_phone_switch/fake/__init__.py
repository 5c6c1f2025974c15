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
    from .app import DEFAULT_TOKEN, FakeIntercom
    from .endpoint import ConnectionDropped
    from .faults import ALL_KINDS, Fault, FaultInjector, FaultKind, FaultRecord, RandomFaults
    from .phones import PhoneKind, classify
    from .ratelimit import Quota, RateLimiter
    from .server import FakeServer
    from .state import Contact, Contacts, Outbox, SentSms
    from .transport import FakeAsyncTransport, FakeTransport

_HOMES = {
    "DEFAULT_TOKEN": "app",
    "FakeIntercom": "app",
    "ConnectionDropped": "endpoint",
    "ALL_KINDS": "faults",
    "Fault": "faults",
    "FaultInjector": "faults",
    "FaultKind": "faults",
    "FaultRecord": "faults",
    "RandomFaults": "faults",
    "PhoneKind": "phones",
    "classify": "phones",
    "Quota": "ratelimit",
    "RateLimiter": "ratelimit",
    "FakeServer": "server",
    "Contact": "state",
    "Contacts": "state",
    "Outbox": "state",
    "SentSms": "state",
    "FakeAsyncTransport": "transport",
    "FakeTransport": "transport",
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
]

__getattr__, __dir__ = lazy_exports(__name__, _HOMES)
