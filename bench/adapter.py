"""The facade as the bulk and pacing benchmarks use it: a client, and each item's outcome."""

from __future__ import annotations

from typing import TYPE_CHECKING

import httpx

from intercom_phone_switch_generated.registry import LATEST_VERSION

from .support import TOKEN

if TYPE_CHECKING:
    from intercom_phone_switch import AsyncPhoneSwitchClient

VERSION = LATEST_VERSION


def async_client(
    base_url: str, http_client: httpx.AsyncClient | None = None
) -> AsyncPhoneSwitchClient:
    """The facade's async client for ``base_url``.

    Without ``http_client`` it builds its own connection pool, as a caller who passes
    nothing gets; a given one (with event hooks, say) stays the caller's to close.
    """
    from intercom_phone_switch import AsyncPhoneSwitchClient

    return AsyncPhoneSwitchClient(
        TOKEN, version=VERSION, base_url=base_url, http_client=http_client
    )


def outcome(result: object) -> str:
    """``ok`` for a PhoneSwitch, else the error's HTTP status (or its class without one)."""
    from intercom_phone_switch import PhoneSwitch, PhoneSwitchError

    if isinstance(result, PhoneSwitch):
        return "ok"
    if isinstance(result, PhoneSwitchError):
        return str(result.status) if result.status is not None else type(result).__name__
    return type(result).__name__
