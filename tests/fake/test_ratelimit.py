from __future__ import annotations

import pytest

from intercom_phone_switch.fake import RateLimiter
from intercom_phone_switch.fake._ratelimit import DEFAULT_LIMIT, DEFAULT_WINDOW


class Clock:
    def __init__(self, now: float) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


def test_defaults_follow_intercoms_private_app_budget() -> None:
    assert DEFAULT_WINDOW == 10.0
    assert DEFAULT_LIMIT == 10_000 // 6


def test_budget_per_window_and_reset_at_the_windows_end() -> None:
    clock = Clock(1_700_000_003.5)
    limiter = RateLimiter(limit=2, window=10, clock=clock)
    first, second, third = (limiter.take("a") for _ in range(3))
    assert (first.allowed, first.remaining) == (True, 1)
    assert (second.allowed, second.remaining) == (True, 0)
    assert (third.allowed, third.remaining) == (False, 0)
    assert first.reset == second.reset == third.reset == 1_700_000_010
    assert first.limit == 2
    clock.now = 1_700_000_010.0  # the next window
    fourth = limiter.take("a")
    assert (fourth.allowed, fourth.remaining, fourth.reset) == (True, 1, 1_700_000_020)


def test_each_token_has_its_own_budget() -> None:
    limiter = RateLimiter(limit=1, clock=Clock(100.0))
    assert limiter.take("a").allowed
    assert limiter.take("b").allowed
    assert not limiter.take("a").allowed


def test_headers() -> None:
    quota = RateLimiter(limit=5, clock=Clock(3.0)).take("a")
    assert quota.headers() == [
        (b"x-ratelimit-limit", b"5"),
        (b"x-ratelimit-remaining", b"4"),
        (b"x-ratelimit-reset", b"10"),
    ]


def test_configure_and_reset_start_afresh() -> None:
    limiter = RateLimiter(limit=1, clock=Clock(3.0))
    limiter.take("a")
    limiter.configure(limit=2)
    assert limiter.limit == 2
    assert limiter.take("a").remaining == 1
    limiter.reset()
    assert limiter.take("a").remaining == 1
    limiter.configure(window=60)
    assert limiter.window == 60
    assert limiter.take("a").reset == 60


@pytest.mark.parametrize(("limit", "window"), [(0, 10.0), (1, 0.0), (1, -1.0)])
def test_rejects_impossible_budgets(limit: int, window: float) -> None:
    with pytest.raises(ValueError, match="rate_limit"):
        RateLimiter(limit=limit, window=window)
