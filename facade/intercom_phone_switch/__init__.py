"""A typed client for Intercom's "Create a phone Switch" endpoint, for every Intercom-Version.

    from intercom_phone_switch import PhoneSwitchClient

    with PhoneSwitchClient() as client:  # token from INTERCOM_ACCESS_TOKEN
        switch = client.create_phone_switch("+353 83 234 5678", {"issue_type": "Billing"})

Every public name is imported on first use, so ``import intercom_phone_switch`` stays
light and no generated version is imported before a call needs it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ._lazy import lazy_exports

if TYPE_CHECKING:
    from ._aiohttp import AiohttpClient, AiohttpTransport
    from ._batch import AsyncPhoneSwitchBatch, BatchEntry, ItemState, PhoneSwitchBatch
    from ._client import (
        AsyncPhoneSwitchClient,
        BulkItem,
        CustomAttributes,
        PhoneSwitchClient,
        PreparedCall,
    )
    from ._logging import RedactingFilter
    from ._metadata import __version__
    from ._outcome import Outcome
    from ._retry import Clock, SystemClock
    from ._versions import LATEST_VERSION, SUPPORTED_VERSIONS
    from .errors import (
        AuthenticationError,
        ConnectionFailed,
        DeliveryUnknown,
        InvalidCustomAttributes,
        InvalidPhoneNumber,
        LandlinePhoneNumber,
        PhoneSwitchError,
        RateLimited,
        RequestRejected,
        SendInterrupted,
        ServerError,
        SmsNotSent,
        UnexpectedResponse,
        UnprocessableItem,
        UnsupportedVersion,
    )
    from .results import PhoneSwitch, RateLimit

#: Public name -> the module defining it.
_EXPORTS: dict[str, str] = {
    "PhoneSwitchClient": "._client",
    "AsyncPhoneSwitchClient": "._client",
    "PreparedCall": "._client",
    "BulkItem": "._client",
    "CustomAttributes": "._client",
    "Outcome": "._outcome",
    "PhoneSwitch": ".results",
    "RateLimit": ".results",
    "SUPPORTED_VERSIONS": "._versions",
    "LATEST_VERSION": "._versions",
    "Clock": "._retry",
    "SystemClock": "._retry",
    "RedactingFilter": "._logging",
    "__version__": "._metadata",
    **{
        name: "._batch"
        for name in (
            "AsyncPhoneSwitchBatch",
            "BatchEntry",
            "ItemState",
            "PhoneSwitchBatch",
        )
    },
    "AiohttpClient": "._aiohttp",
    "AiohttpTransport": "._aiohttp",
    **{
        name: ".errors"
        for name in (
            "PhoneSwitchError",
            "InvalidPhoneNumber",
            "LandlinePhoneNumber",
            "SmsNotSent",
            "InvalidCustomAttributes",
            "UnsupportedVersion",
            "AuthenticationError",
            "RateLimited",
            "RequestRejected",
            "ServerError",
            "DeliveryUnknown",
            "ConnectionFailed",
            "UnexpectedResponse",
            "SendInterrupted",
            "UnprocessableItem",
        )
    },
}

__all__ = [
    "LATEST_VERSION",
    "SUPPORTED_VERSIONS",
    "AiohttpClient",
    "AiohttpTransport",
    "AsyncPhoneSwitchBatch",
    "AsyncPhoneSwitchClient",
    "AuthenticationError",
    "BatchEntry",
    "BulkItem",
    "Clock",
    "ConnectionFailed",
    "CustomAttributes",
    "DeliveryUnknown",
    "InvalidCustomAttributes",
    "InvalidPhoneNumber",
    "ItemState",
    "LandlinePhoneNumber",
    "Outcome",
    "PhoneSwitch",
    "PhoneSwitchBatch",
    "PhoneSwitchClient",
    "PhoneSwitchError",
    "PreparedCall",
    "RateLimit",
    "RateLimited",
    "RedactingFilter",
    "RequestRejected",
    "SendInterrupted",
    "ServerError",
    "SmsNotSent",
    "SystemClock",
    "UnexpectedResponse",
    "UnprocessableItem",
    "UnsupportedVersion",
    "__version__",
]

# Type checkers see the names imported above, and so refuse a misspelt one; at run
# time each name is imported from its module on first use.
if not TYPE_CHECKING:
    __getattr__, __dir__ = lazy_exports(__name__, _EXPORTS)
