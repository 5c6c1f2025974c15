"""The environment variable that names a guard's URL, for ``Guard.from_environment()`` and
the command line (``--guard``'s default). A client never reads it: it is given a Guard."""

from __future__ import annotations

import os

__all__ = ["GUARD_VARIABLE", "environment_guard"]

#: The environment variable naming the guard's URL.
GUARD_VARIABLE = "INTERCOM_PHONE_SWITCH_GUARD"


def environment_guard() -> str | None:
    """The guard URL the environment names, if any."""
    return os.environ.get(GUARD_VARIABLE) or None
