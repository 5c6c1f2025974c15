"""Whether a client needs a guard at all, decided without importing one.

Most clients have no guard: no ``guard=``, no ``per_phone_window=`` and no guard named
in the environment. They should not pay for importing the guard's modules, so this
module, which knows the environment variable, is all they load of it.
"""

from __future__ import annotations

import os

__all__ = ["GUARD_VARIABLE", "environment_guard", "wanted"]

#: The environment variable naming the guard's URL when a client is given none.
GUARD_VARIABLE = "INTERCOM_PHONE_SWITCH_GUARD"


def environment_guard() -> str | None:
    """The guard URL the environment names, if any."""
    return os.environ.get(GUARD_VARIABLE) or None


def wanted(guard: object, per_phone_window: float | None) -> bool:
    """Whether a client given ``guard`` and ``per_phone_window`` sends through a guard."""
    return guard is not None or per_phone_window is not None or environment_guard() is not None
