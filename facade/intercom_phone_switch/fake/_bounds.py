"""The range of every numeric setting of the fake, in one place.

The Python API, the admin API and ``serve`` all check their numbers here, so that no
setting can make a later request fail (an infinite window, a 1e999 status, a seed no
generator takes, a cap no container can hold).
"""

from __future__ import annotations

import math
import sys
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Bound:
    """A closed range ``low``..``high`` of integers, or of finite real numbers."""

    name: str
    low: float
    high: float
    integer: bool = False

    def check(self, value: Any) -> Any:
        """``value`` when it lies in range (an int for integer settings), else ValueError.

        Integer settings take ints and integral floats (JSON writes 5 or 5.0); booleans,
        strings, NaN and the infinities are refused.
        """
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise ValueError(f"{self.name} is a number, not {type(value).__name__}")
        if isinstance(value, float):
            if not math.isfinite(value):
                raise ValueError(f"{self.name} must be finite, not {value}")
            if 0 < abs(value) < sys.float_info.min:
                raise ValueError(f"{self.name} must be 0 or at least {sys.float_info.min:g}")
            if self.integer:
                if not value.is_integer():
                    raise ValueError(f"{self.name} must be a whole number, not {value}")
                value = int(value)
        if not self.low <= value <= self.high:
            raise ValueError(f"{self.name} must be in {self.describe()}, not {_short(value)}")
        return float(value) if not self.integer else value

    def describe(self) -> str:
        return f"{_short(self.low)}..{_short(self.high)}"


def _short(value: float) -> str:
    text = f"{value:g}" if isinstance(value, float) else str(value)
    return text if len(text) <= 24 else text[:20] + "..."


#: Calls per token in each window.
RATE_LIMIT = Bound("rate_limit", 1, 10**9, integer=True)
#: The window's length in seconds: a millisecond to a day.
RATE_LIMIT_WINDOW = Bound("rate_limit_window", 0.001, 86_400.0)
#: The status of an injected server error.
FAULT_STATUS = Bound("a server error's status (5xx)", 500, 599, integer=True)
#: The extra wait of an injected latency fault, in seconds.
FAULT_DELAY = Bound("a latency fault's delay", 0.0, 60.0)
#: The share of requests that get a random fault.
PROBABILITY = Bound("probability", 0.0, 1.0)
#: The seed of the random faults.
SEED = Bound("seed", 0, 2**63 - 1, integer=True)
#: How many entries the outbox, the contacts and the fault log keep.
OUTBOX_CAP = Bound("outbox_cap", 1, 1_000_000, integer=True)
CONTACTS_CAP = Bound("contacts_cap", 1, 1_000_000, integer=True)
FAULT_LOG_CAP = Bound("fault_log_cap", 1, 1_000_000, integer=True)
#: The largest request body taken, in bytes.
MAX_BODY_BYTES = Bound("max_body_bytes", 1, 1024 * 1024, integer=True)
#: How many bytes of custom attributes the outbox (and, apart, the contacts) keep.
STATE_BYTES = Bound("max_bytes", 1024, 2**32, integer=True)
