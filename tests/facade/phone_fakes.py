"""Test doubles for the facade's tests: a scripted Intercom for httpx.MockTransport and a
fake clock."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from typing import Any

import httpx

from intercom_phone_switch import Clock

TOKEN = "tok_live_5eCr3t-4bc.Def_0123456789"
MOBILE = "+353832345678"
LANDLINE = "+40241100100"
START = 1_700_000_000.0

Step = httpx.Response | Exception | Callable[[httpx.Request], httpx.Response]


class FakeClock(Clock):
    """Time that moves only when the client sleeps; jitter draws come from ``draws``
    (0.0, no jitter, once they run out)."""

    def __init__(self, now: float = START) -> None:
        self.now = now
        self.sleeps: list[float] = []
        self.draws: list[float] = []

    def random(self) -> float:
        return self.draws.pop(0) if self.draws else 0.0

    def time(self) -> float:
        return self.now

    def monotonic(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds

    async def async_sleep(self, seconds: float) -> None:
        # Let requests already under way reach the fake Intercom first, as they would in
        # real time, then jump.
        for _ in range(20):
            await asyncio.sleep(0)
        self.sleeps.append(seconds)
        self.now += seconds


class FakeIntercom:
    """Answers like Intercom; ``script`` overrides the next answers one by one.

    With ``limit`` set it keeps a budget per ``window`` seconds of the fake clock and
    answers 429 once a window's budget is spent, as Intercom does.
    """

    def __init__(self, clock: FakeClock) -> None:
        self.clock = clock
        self.requests: list[httpx.Request] = []
        self.script: list[Step] = []
        self.limit: int | None = None
        self.window = 10
        self.used: dict[int, int] = {}
        self.statuses: list[int] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        if self.script:
            step = self.script.pop(0)
            if isinstance(step, Exception):
                raise step
            response = step if isinstance(step, httpx.Response) else step(request)
        else:
            response = self.answer(request)
        self.statuses.append(response.status_code)
        return response

    async def async_handler(self, request: httpx.Request) -> httpx.Response:
        await asyncio.sleep(0)  # let other requests start, as a network would
        response = self(request)
        await asyncio.sleep(0)
        return response

    def rate_headers(self) -> dict[str, str]:
        window = int(self.clock.now // self.window)
        limit = self.limit or 1666
        used = self.used.get(window, 0)
        return {
            "X-RateLimit-Limit": str(limit),
            "X-RateLimit-Remaining": str(max(limit - used, 0)),
            "X-RateLimit-Reset": str((window + 1) * self.window),
        }

    def answer(self, request: httpx.Request) -> httpx.Response:
        window = int(self.clock.now // self.window)
        if self.limit is not None and self.used.get(window, 0) >= self.limit:
            return httpx.Response(
                429,
                json={
                    "type": "error.list",
                    "request_id": "req-429",
                    "errors": [{"code": "rate_limit_exceeded", "message": "Too many"}],
                },
                headers=self.rate_headers(),
            )
        self.used[window] = self.used.get(window, 0) + 1
        phone = json.loads(request.content)["phone"]
        if phone == LANDLINE:
            return httpx.Response(
                422, json={"error_key": "landline_phone"}, headers=self.rate_headers()
            )
        return httpx.Response(
            200,
            json={
                "type": "phone_call_redirect",
                "url": f"http://via.intercom.io/msgr/{len(self.requests)}",
            },
            headers={**self.rate_headers(), "X-Request-Id": f"req-{len(self.requests)}"},
        )

    @property
    def bodies(self) -> list[Any]:
        return [json.loads(request.content) for request in self.requests]

    @property
    def phones(self) -> list[str]:
        return [body["phone"] for body in self.bodies]
