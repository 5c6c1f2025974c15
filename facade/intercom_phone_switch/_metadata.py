"""The package's version, read once from its installed metadata."""

from __future__ import annotations

from importlib import metadata

__all__ = ["USER_AGENT", "__version__"]

DISTRIBUTION = "intercom-phone-switch"


def _version() -> str:
    try:
        return metadata.version(DISTRIBUTION)
    except metadata.PackageNotFoundError:  # imported from a source tree, not installed
        return "0+unknown"


#: The installed version of intercom-phone-switch ("0+unknown" when not installed).
__version__ = _version()

#: The User-Agent header of every request the client sends.
USER_AGENT = f"{DISTRIBUTION}/{__version__}"
