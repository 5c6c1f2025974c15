"""Pure helpers of the benchmark parts. Nothing here is timed."""

from __future__ import annotations

import json

from bench.bulk import lost_and_duplicated
from bench.fakeserver import expected, invalid_bodies, lua_string, valid_bodies
from bench.loadgen import post
from bench.pacing import utilisation


def test_utilisation_counts_only_the_complete_windows() -> None:
    # Windows of 2 s holding a budget of 3: [10, 12) partial, [12, 14) and [14, 16)
    # complete, [16, 18) partial.
    times = [11.5, 11.6, 11.7, 12.0, 12.1, 12.2, 14.0, 14.5, 15.9, 16.0]
    assert utilisation(times, budget=3, window=2) == (6 / 6, 2)


def test_utilisation_sees_a_window_left_unused() -> None:
    times = [11.0, 12.0, 12.1, 12.2, 16.5]  # [14, 16) got nothing
    assert utilisation(times, budget=3, window=2) == (3 / 6, 2)


def test_utilisation_needs_a_complete_window() -> None:
    assert utilisation([], budget=3, window=2) == (None, 0)
    assert utilisation([10.0, 12.5], budget=3, window=2) == (None, 0)


def test_load_requests_are_complete_http_messages() -> None:
    body = b'{"phone": "+353830000001"}'
    raw = post("127.0.0.1", 8000, "/phone_call_redirects", body, {"Authorization": "Bearer t"})
    head, _, rest = raw.partition(b"\r\n\r\n")
    assert head.startswith(b"POST /phone_call_redirects HTTP/1.1\r\n")
    assert f"Content-Length: {len(body)}".encode() in head
    assert b"Authorization: Bearer t" in head
    assert rest == body


def test_load_bodies_are_json_and_distinct() -> None:
    valid = valid_bodies(50)
    assert len({json.loads(body)["phone"] for body in valid}) == 50
    assert all("phone" in json.loads(body) for body in invalid_bodies())


def test_lua_strings_escape_quotes_and_backslashes() -> None:
    assert lua_string(b'{"a": "\\\\"}') == '"{\\"a\\": \\"\\\\\\\\\\"}"'


def test_load_phases_check_the_kind_of_answer() -> None:
    assert expected({"200": 10}, valid=True)
    assert expected({"2xx": 10, "non-2xx": 0}, valid=True)
    assert not expected({"200": 9, "500": 1}, valid=True)
    assert expected({"400": 5, "422": 5}, valid=False)
    assert expected({"2xx": 0, "non-2xx": 10}, valid=False)
    assert not expected({"400": 5, "200": 1}, valid=False)


def test_lost_and_duplicated_sms_are_told_apart() -> None:
    sent = ["+1", "+2", "+3"]
    assert lost_and_duplicated(sent, ["+3", "+1", "+2"]) == (0, 0)
    assert lost_and_duplicated(sent, ["+1", "+2"]) == (1, 0)
    assert lost_and_duplicated(sent, ["+1", "+1", "+2", "+3", "+9"]) == (0, 2)
