"""At most one SMS per idempotency key, and per number per window, across processes.

Intercom has no idempotency key, so the guard keeps one on our side, in a store that
every sender shares: ``memory://`` (this Guard's own, in one process), ``memory://NAME``
(shared by the Guards of one process that name it), ``sqlite:///path`` (the processes of
one machine) or ``redis://host:port/db`` (many machines; needs the ``[redis]`` extra).
A client takes a Guard object: ``PhoneSwitchClient(guard=Guard(url))``, or
``Guard.from_environment()`` for the URL in INTERCOM_PHONE_SWITCH_GUARD.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from intercom_phone_switch._lazy import lazy_exports

if TYPE_CHECKING:
    from ._budget import SharedPacer, SharedThreadPacer
    from ._environment import GUARD_VARIABLE
    from ._errors import GuardUnavailable, KeyInFlight, SendWindowClosed
    from ._guard import DEFAULT_LEASE, DEFAULT_TTL, Guard, KeyState, open_store
    from ._store import Record, Store, StoreError

_EXPORTS: dict[str, str] = {
    "Guard": "._guard",
    "KeyState": "._guard",
    "open_store": "._guard",
    "DEFAULT_TTL": "._guard",
    "DEFAULT_LEASE": "._guard",
    "GUARD_VARIABLE": "._environment",
    "GuardUnavailable": "._errors",
    "KeyInFlight": "._errors",
    "SendWindowClosed": "._errors",
    "Record": "._store",
    "Store": "._store",
    "StoreError": "._store",
    "SharedPacer": "._budget",
    "SharedThreadPacer": "._budget",
}

__all__ = [
    "DEFAULT_LEASE",
    "DEFAULT_TTL",
    "GUARD_VARIABLE",
    "Guard",
    "GuardUnavailable",
    "KeyInFlight",
    "KeyState",
    "Record",
    "SendWindowClosed",
    "SharedPacer",
    "SharedThreadPacer",
    "Store",
    "StoreError",
    "open_store",
]

# Type checkers see the names imported above, and so refuse a misspelt one; at run
# time each name is imported from its module on first use.
if not TYPE_CHECKING:
    __getattr__, __dir__ = lazy_exports(__name__, _EXPORTS)
