"""Intercom-Version values and the generated package serving each.

Everything here is read from the generated registry (``generated/registry.py``): the header
values Intercom accepts, the version whose package serves each, and that package's module.
A generated package is imported (see _seam), and its effective spec read (see spec), only
when a call needs it, and then once per process.
"""

from __future__ import annotations

from intercom_phone_switch_generated.registry import HEADER_VALUES, LATEST_VERSION

from .errors import UnsupportedVersion
from .errors import shown as _shown

__all__ = ["LATEST_VERSION", "SUPPORTED_VERSIONS", "resolve"]

#: Every Intercom-Version header value the client accepts: 1.0 ... 2.16, Preview and its
#: former name Unstable. Values without a published description (1.0-1.4, 2.0-2.6) are
#: served by the oldest generated package, which sends the requested header unchanged.
SUPPORTED_VERSIONS: tuple[str, ...] = tuple(HEADER_VALUES)


#: The longest header value an UnsupportedVersion keeps as its ``version``.
_LONGEST = 100


def resolve(value: object) -> str:
    """The version (a key of the registry's MODULES) serving the header ``value``."""
    if isinstance(value, str):
        version = HEADER_VALUES.get(value)
        if version is not None:
            return version
        shown = _shown(value)
    else:
        shown = f"{_shown(value)} (a {type(value).__name__}; versions are strings such as '2.16')"
    raise UnsupportedVersion(
        f"Intercom-Version {shown} is not one Intercom accepts; "
        f"use one of {', '.join(SUPPORTED_VERSIONS)}",
        version=value if isinstance(value, str) and len(value) <= _LONGEST else None,
        supported=SUPPORTED_VERSIONS,
    )
