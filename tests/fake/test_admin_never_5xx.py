"""The admin API answers every body it gets with a 2xx or a 400, never a 5xx."""

from __future__ import annotations

import json
from collections.abc import Iterator

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from intercom_phone_switch.fake import DEFAULT_TOKEN, FakeIntercom, RateLimiter
from intercom_phone_switch_generated.registry import LATEST_VERSION

MOBILE = "+353832345678"


@pytest.mark.parametrize(
    ("path", "body"),
    [
        ("/__fake__/settings", '{"rate_limit": 1e400}'),
        ("/__fake__/settings", '{"rate_limit": Infinity}'),
        ("/__fake__/settings", '{"rate_limit_window": 1e-320}'),
        ("/__fake__/settings", '{"rate_limit_window": Infinity}'),
        ("/__fake__/faults", '{"random": {"probability": 0.5, "seed": Infinity}}'),
        ("/__fake__/faults", '{"script": [{"kind": "server_error_before", "status": 1e400}]}'),
        ("/__fake__/faults", '{"script": [{"kind": "latency", "delay": NaN}]}'),
    ],
)
def test_numbers_out_of_range_get_a_400(raw: httpx.Client, path: str, body: str) -> None:
    answer = raw.post(path, content=body, headers={"Content-Type": "application/json"})
    assert answer.status_code == 400
    assert answer.json()["error"]
    # The workspace still works: the phone switch and the page both answer.
    assert raw.post("/phone_call_redirects", json={"phone": MOBILE}).status_code == 200
    assert raw.get("/__fake__/state").status_code == 200


@pytest.mark.parametrize("window", [1e-320, 0.0009, float("inf"), float("nan")])
def test_windows_the_arithmetic_cannot_take_are_refused(window: float) -> None:
    with pytest.raises(ValueError, match="rate_limit_window"):
        RateLimiter(window=window)


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=8),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3)
    ),
    max_leaves=8,
)
names = st.sampled_from(
    [
        *("script", "random", "clear", "default_version", "rate_limit", "rate_limit_window"),
        *("tokens", "probability", "kinds", "statuses", "delay", "seed", "kind", "status"),
    ]
)
objects = st.dictionaries(names, json_values | st.dictionaries(names, json_values, max_size=4))
bodies = st.dictionaries(
    names,
    json_values | objects | st.lists(objects | st.sampled_from(["latency", None]), max_size=3),
)


@pytest.fixture(scope="module")
def shared() -> Iterator[tuple[FakeIntercom, httpx.Client]]:
    fake = FakeIntercom()
    with httpx.Client(transport=fake.transport(), base_url="http://fake.invalid") as http:
        yield fake, http


@settings(max_examples=150, deadline=None, suppress_health_check=list(HealthCheck))
@given(
    path=st.sampled_from(["/__fake__/faults", "/__fake__/settings", "/__fake__/reset"]),
    body=bodies | json_values,
)
def test_any_json_body_gets_no_5xx(
    shared: tuple[FakeIntercom, httpx.Client], path: str, body: object
) -> None:
    fake, http = shared
    answer = http.post(path, content=json.dumps(body), headers={"Content-Type": "application/json"})
    assert answer.status_code in (200, 400)
    assert http.get("/__fake__/state").status_code == 200
    assert http.post("/phone_call_redirects", json={"phone": MOBILE}).status_code < 500
    fake.reset()
    fake.faults.clear()
    fake.rate_limiter.configure(limit=1666, window=10)
    fake.default_version = LATEST_VERSION
    fake.tokens = frozenset([DEFAULT_TOKEN])
