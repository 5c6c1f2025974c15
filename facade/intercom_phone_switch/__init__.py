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
    from ._batch import (
        AsyncPhoneSwitchBatch,
        BatchEntry,
        ItemState,
        PhoneSwitchBatch,
        SendInterrupted,
        UnprocessableItem,
    )
    from ._client import AsyncPhoneSwitchClient, PhoneSwitchClient
    from ._logging import RedactingFilter
    from ._metadata import __version__
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
        ServerError,
        SmsNotSent,
        UnexpectedResponse,
        UnsupportedVersion,
    )
    from .results import PhoneSwitch, RateLimit

#: Public name -> the module defining it.
_EXPORTS: dict[str, str] = {
    "PhoneSwitchClient": "._client",
    "AsyncPhoneSwitchClient": "._client",
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
            "SendInterrupted",
            "UnprocessableItem",
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
    "Clock",
    "ConnectionFailed",
    "DeliveryUnknown",
    "InvalidCustomAttributes",
    "InvalidPhoneNumber",
    "ItemState",
    "LandlinePhoneNumber",
    "PhoneSwitch",
    "PhoneSwitchBatch",
    "PhoneSwitchClient",
    "PhoneSwitchError",
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

__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS)
