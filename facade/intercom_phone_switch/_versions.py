"""Intercom-Version values and the generated package serving each.

Everything here is read from the generated registry (``generated/registry.py``): the header
values Intercom accepts, the version whose package serves each, and that package's module.
A generated package is imported, and its effective spec read, only when a call needs it,
and then once per process.
"""

from __future__ import annotations

import importlib
from functools import cached_property
from types import ModuleType
from typing import TYPE_CHECKING, Any

from intercom_phone_switch_generated.registry import HEADER_VALUES, LATEST_VERSION, MODULES

from .errors import UnsupportedVersion

if TYPE_CHECKING:
    from ._contract import Contract

__all__ = ["LATEST_VERSION", "SUPPORTED_VERSIONS", "Served", "resolve", "served"]

#: Every Intercom-Version header value the client accepts: 1.0 ... 2.16, Preview and its
#: former name Unstable. Values without a published description (1.0-1.4, 2.0-2.6) are
#: served by the oldest generated package, which sends the requested header unchanged.
SUPPORTED_VERSIONS: tuple[str, ...] = tuple(HEADER_VALUES)

_GENERATED = "intercom_phone_switch_generated"


def resolve(value: object) -> str:
    """The version (a key of the registry's MODULES) serving the header ``value``."""
    if isinstance(value, str):
        version = HEADER_VALUES.get(value)
        if version is not None:
            return version
        shown = repr(value)
    else:
        shown = f"{value!r} (a {type(value).__name__}; versions are strings such as '2.16')"
    raise UnsupportedVersion(
        f"Intercom-Version {shown} is not one Intercom accepts; "
        f"use one of {', '.join(SUPPORTED_VERSIONS)}",
        version=value if isinstance(value, str) else None,
        supported=SUPPORTED_VERSIONS,
    )


class Served:
    """One generated package: its modules and its contract, each loaded on first use."""

    def __init__(self, version: str) -> None:
        self.version = version
        self.module = f"{_GENERATED}.{MODULES[version]}"

    def __repr__(self) -> str:
        return f"<Served {self.version} by {self.module}>"

    @cached_property
    def package(self) -> ModuleType:
        return importlib.import_module(self.module)

    @cached_property
    def endpoint(self) -> ModuleType:
        """The generated ``api.switch.create_phone_switch`` module."""
        return importlib.import_module(f"{self.module}.api.switch.create_phone_switch")

    @cached_property
    def models(self) -> ModuleType:
        return importlib.import_module(f"{self.module}.models")

    @cached_property
    def types(self) -> ModuleType:
        return importlib.import_module(f"{self.module}.types")

    @cached_property
    def unset(self) -> Any:
        return self.types.UNSET

    @cached_property
    def contract(self) -> Contract:
        """Facts about the contract, read from this version's effective spec."""
        from ._contract import Contract

        return Contract.load(self.version)

    def authenticated_client(self, base_url: str, http: object, *, is_async: bool) -> Any:
        """The generated AuthenticatedClient, sending through ``http``.

        It gets no token: ``http`` adds the Authorization header to each request, so the
        generated client (whose repr would show its token) never holds the secret.
        """
        client = self.package.AuthenticatedClient(base_url=base_url, token="")
        if is_async:
            client.set_async_httpx_client(http)
        else:
            client.set_httpx_client(http)
        return client


_SERVED: dict[str, Served] = {}


def served(version: str) -> Served:
    """The (cached) Served for a version of the registry."""
    found = _SERVED.get(version)
    if found is None:
        found = _SERVED.setdefault(version, Served(version))
    return found
