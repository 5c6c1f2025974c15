"""The seam to the generated code: what every version's generated ``seam`` module offers.

Each generated package has a ``seam`` module, written from its effective spec, that builds
the version's request from the facade's stable names and reads its answers back into the
shared records of ``intercom_phone_switch_generated.seam_types``. The facade sends the
request itself (see _wire); the generated code never sees a client, a token or a socket.
"""

from __future__ import annotations

import importlib
from collections.abc import Mapping
from typing import TYPE_CHECKING, Protocol, cast

from intercom_phone_switch_generated.registry import MODULES

if TYPE_CHECKING:
    from intercom_phone_switch_generated.seam_types import Answer, ErrorList, Request

__all__ = ["VersionSeam", "seam_of"]


class VersionSeam(Protocol):
    """A generated package's ``seam`` module."""

    @property
    def VERSION(self) -> str: ...  # a module constant

    def request(
        self,
        phone: str,
        custom_attributes: Mapping[str, object] | None,
        intercom_version: str,
    ) -> Request:
        """The request for these stable values, in this version's field names."""

    def answer(self, status: int, content: bytes) -> Answer:
        """An answer read as this version documents ``status`` (Undocumented when it does
        not); raises Malformed when the body is not of the documented shape."""

    def error_list(self, content: bytes) -> ErrorList | None:
        """A body read as this version's error list (Intercom's envelope of refusals),
        whatever its status; None when it is not one."""


_LOADED: dict[str, VersionSeam] = {}


def seam_of(version: str) -> VersionSeam:
    """The seam of the package serving ``version`` (a key of the registry's VERSIONS),
    imported on first use."""
    found = _LOADED.get(version)
    if found is None:
        module = importlib.import_module(f"intercom_phone_switch_generated.{MODULES[version]}.seam")
        found = _LOADED.setdefault(version, cast("VersionSeam", module))
    return found
