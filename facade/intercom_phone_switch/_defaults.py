"""Every default setting of the clients and transports, in one place.

Imports nothing heavy: httpx's Timeout and Limits are made where they are used, from the
plain numbers here.
"""

from __future__ import annotations

__all__ = [
    "ATTEMPT_TIMEOUT",
    "CONNECT_TIMEOUT",
    "DEADLINE",
    "MAX_CONNECTIONS",
    "MAX_HEADER_LINE",
    "MAX_RESPONSE_SIZE",
    "MAX_RETRIES",
    "MAX_WINDOW_WAIT",
    "TIMEOUT",
]

#: Seconds to send and to wait for each read of the answer (Intercom sends the SMS
#: before it answers).
TIMEOUT = 30.0
#: Seconds to connect.
CONNECT_TIMEOUT = 5.0
#: Retries after the first attempt, where the retry policy allows one.
MAX_RETRIES = 2
#: Seconds a call may take, retry waits included, before it stops retrying.
DEADLINE = 60.0
#: Seconds one attempt may take in all, from sending to the answer's last byte.
ATTEMPT_TIMEOUT = 60.0
#: The most bytes of an answer's body read: Intercom's answers to this endpoint are well
#: under 1 KiB.
MAX_RESPONSE_SIZE = 1024 * 1024
#: Connections a client's pool keeps at most, all of which may stay open while idle.
MAX_CONNECTIONS = 100
#: The longest header line of an answer read (aiohttp's limit).
MAX_HEADER_LINE = 8190
#: The longest a pacer waits for one rate-limit window to reset: twice Intercom's
#: 10-second window (a reset further away reads as a clock running ahead).
MAX_WINDOW_WAIT = 20.0
