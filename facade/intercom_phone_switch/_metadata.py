"""The package's version: written here once; the build reads it from this file."""

from __future__ import annotations

__all__ = ["DISTRIBUTION", "USER_AGENT", "__version__"]

DISTRIBUTION = "intercom-phone-switch"

#: The version of intercom-phone-switch.
__version__ = "0.2.0"

#: The User-Agent header of every request the client sends.
USER_AGENT = f"{DISTRIBUTION}/{__version__}"
