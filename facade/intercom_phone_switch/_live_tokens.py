"""The tokens of every client alive in this process, for the logging filter to mask.

This module stays apart from ``_secret`` and imports nothing heavy: the logging filter
is held by the ``logging`` module until the interpreter's very end, and whatever its
functions' globals reach stays alive as long. Reaching httpx from here would keep its
whole module tree alive into the last stage of shutdown, which costs several
milliseconds at every exit of every process that imports the client.
"""

from __future__ import annotations

import weakref
from collections.abc import Iterator
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from ._secret import Token

__all__ = ["live_tokens", "track"]

_LIVE: weakref.WeakSet[Token] = weakref.WeakSet()


def track(token: Token) -> None:
    """Count ``token`` among the live ones until it is garbage."""
    _LIVE.add(token)


def live_tokens() -> Iterator[Token]:
    """The tokens of every client alive in this process."""
    return iter(list(_LIVE))
