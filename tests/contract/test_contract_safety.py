"""SMS safety: against anything but the in-process fake, nobody outside the allow-list is
texted, and never more often than the cap allows.

The integration tests serve the fake on 127.0.0.1 and treat it as the remote server it
pretends to be; its outbox is the proof of what was sent.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest

from intercom_phone_switch.contract.runner import Settings, Target, run, run_version
from intercom_phone_switch.contract.safety import (
    SmsBlocked,
    SmsGuard,
    SmsPolicy,
    SmsPolicyError,
    SmsTally,
    could_be_dialled,
    risky_fields,
)
from intercom_phone_switch.fake import FakeIntercom, FakeServer
from tests.versions import LATEST

pytestmark = pytest.mark.contract

TOKEN = "safety-token"
PATTERN = re.compile(r"^\+[1-9][0-9]{1,14}$")
#: The phone's stable name, which is also its JSON property in the stored spec.
FIELD = "phone"
#: Numbers the fake texts (valid mobiles), none of them in the spec's examples.
ALLOWED = ("+15005550006", "+12025550123")
SMALL = Settings(max_examples=30)


# -- the policy and the guard --------------------------------------------------------------


def test_the_default_policy_texts_nobody() -> None:
    assert not SmsPolicy().texts_anybody
    assert SmsPolicy.parse(None, None) == SmsPolicy()


def test_an_allowlist_and_a_cap_go_together() -> None:
    assert SmsPolicy.parse(" +15005550006, +12025550123 ,", 3) == SmsPolicy(ALLOWED, 3)
    with pytest.raises(SmsPolicyError):
        SmsPolicy.parse("+15005550006", None)
    with pytest.raises(SmsPolicyError):
        SmsPolicy.parse(None, 3)
    with pytest.raises(SmsPolicyError, match=r"E\.164"):
        SmsPolicy.parse("+1 500 555 0006", 3)
    with pytest.raises(SmsPolicyError):
        SmsPolicy(ALLOWED, -1)


@pytest.mark.parametrize(
    "value",
    [
        "+353832345678",
        "353832345678",
        "+353 83 234 5678",
        "00353832345678",
        "+0123456789",
        "+1-800-FLOWERS",
        "+٣٥٣٨٣٢٣٤٥٦٧٨",
        353832345678,
        3.53832345678e11,
        " +353832345678\n",
    ],
)
def test_anything_a_lenient_server_could_dial_is_risky(value: object) -> None:
    assert could_be_dialled(value)
    assert risky_fields({"phone": value}) == [("phone", value)]


@pytest.mark.parametrize("value", ["+10", "+123456", "", "abc", "+", None, True, 12, [1] * 20, {}])
def test_values_too_short_to_dial_are_harmless(value: object) -> None:
    assert not could_be_dialled(value)
    assert risky_fields({"phone": value}) == []


def test_the_phone_is_found_in_any_body_a_server_could_read() -> None:
    assert risky_fields('{"phone": "+353832345678"}') == [("phone", "+353832345678")]
    assert risky_fields(b"phone=%2B353832345678") == [("phone", "+353832345678")]
    assert risky_fields({" Phone ": "+353832345678"}) == [(" Phone ", "+353832345678")]
    assert risky_fields(["+353832345678"]) == []
    assert risky_fields({"custom_attributes": {"phone": "+353832345678"}}) == []


def test_without_an_allowlist_nothing_risky_leaves() -> None:
    guard = SmsGuard(SmsPolicy(), FIELD, PATTERN)

    assert guard.keep({"phone": "+10"})
    assert not guard.keep({"phone": "+353832345678"})
    guard.admit({"phone": "+10"})
    with pytest.raises(SmsBlocked):
        guard.admit({"phone": "+353832345678"})
    assert (guard.tally.sent, guard.tally.dropped, guard.tally.blocked) == (0, 1, 1)


def test_with_an_allowlist_phones_are_replaced_until_the_cap() -> None:
    stopped: list[bool] = []
    guard = SmsGuard(SmsPolicy(ALLOWED, 3), FIELD, PATTERN, on_cap=lambda: stopped.append(True))
    bodies = [{"phone": "+353832345678", "custom_attributes": {"a": 1}} for _ in range(3)]

    for body in bodies:
        assert guard.keep(body)
        guard.admit(body)

    assert [body["phone"] for body in bodies] == [ALLOWED[0], ALLOWED[1], ALLOWED[0]]
    assert all(body["custom_attributes"] == {"a": 1} for body in bodies)
    assert guard.tally.sent == 3
    # Spent, but not yet reached: nothing was kept back (a cap of exactly what a run
    # needs lets it end).
    assert not guard.tally.cap_reached
    assert stopped == []
    assert not guard.keep({"phone": "+353832345678"})
    with pytest.raises(SmsBlocked):
        guard.admit({"phone": ALLOWED[0]})
    assert guard.tally.sent == 3
    assert guard.tally.cap_reached
    assert guard.tally.over_cap == 2
    assert stopped == [True]


def test_risky_phones_the_schema_refuses_are_never_replaced() -> None:
    guard = SmsGuard(SmsPolicy(ALLOWED, 10), FIELD, PATTERN)
    body = {"phone": "+353 83 234 5678"}

    assert not guard.keep(body)
    with pytest.raises(SmsBlocked):
        guard.admit(body)
    assert body == {"phone": "+353 83 234 5678"}
    assert guard.tally.sent == 0


def test_the_cap_spans_the_guards_of_one_run() -> None:
    tally = SmsTally()
    first = SmsGuard(SmsPolicy(ALLOWED, 2), FIELD, PATTERN, tally)
    second = SmsGuard(SmsPolicy(ALLOWED, 2), FIELD, PATTERN, tally)

    first.admit({"phone": "+353832345678"})
    second.admit({"phone": "+353832345678"})

    with pytest.raises(SmsBlocked):
        second.admit({"phone": "+353832345678"})
    assert tally.sent == 2


def test_allowlisted_numbers_must_fit_the_version() -> None:
    with pytest.raises(SmsPolicyError):
        SmsGuard(SmsPolicy(ALLOWED, 2), FIELD, re.compile(r"^\+44[0-9]+$"))


def test_a_network_target_is_never_sms_free() -> None:
    with pytest.raises(ValueError, match="never"):
        Target(token=TOKEN, base_url="http://127.0.0.1:1", sms_free=True)


# -- against the fake on a port ------------------------------------------------------------


@pytest.fixture
def fake() -> FakeIntercom:
    return FakeIntercom(tokens=[TOKEN])


@pytest.fixture
def server(fake: FakeIntercom) -> Iterator[FakeServer]:
    with fake.serve(host="127.0.0.1") as served:
        yield served


def test_without_an_allowlist_the_run_texts_nobody(fake: FakeIntercom, server: FakeServer) -> None:
    result = run_version(LATEST, Target.remote(server.url, TOKEN), settings=SMALL)

    assert fake.outbox.total == 0
    assert result.ok, result.problems
    assert result.cases > 0
    assert result.checks > 0
    assert result.sms is not None
    assert result.sms.sent == 0
    assert result.sms.dropped > 0
    # What can run still runs: refused numbers, refused bodies, refused credentials.
    assert {400, 401} <= set(result.statuses)


def test_with_an_allowlist_only_allowed_numbers_are_texted_up_to_the_cap(
    fake: FakeIntercom, server: FakeServer
) -> None:
    cap = 12
    results = run(
        [LATEST, "2.7"],
        Target.remote(server.url, TOKEN),
        settings=SMALL,
        sms=SmsPolicy(ALLOWED, cap),
    )

    texted = [sms.phone for sms in fake.outbox.messages()]
    assert texted
    assert set(texted) <= set(ALLOWED)
    assert fake.outbox.total <= cap
    first, second = results
    assert first.sms is not None
    assert first.sms.cap_reached
    assert first.sms.sent == cap
    assert first.sms.replaced > 0
    assert first.stopped_by_cap
    assert not first.failures
    assert first.cut_short, "the cap ran out part-way: the version was not run to its end"
    assert not first.ok
    # The cap holds for the whole run: the next version does not start.
    assert second.not_run is not None
    assert second.cases == 0


def test_a_cap_larger_than_the_run_needs_lets_it_complete(
    fake: FakeIntercom, server: FakeServer
) -> None:
    cap = 5_000
    result = run_version(
        "2.13", Target.remote(server.url, TOKEN), settings=SMALL, sms=SmsPolicy(ALLOWED, cap)
    )

    assert result.ok, result.problems
    assert result.stop_reason == "completed"
    assert result.sms is not None
    assert not result.sms.cap_reached
    assert 0 < fake.outbox.total <= result.sms.sent
    assert {sms.phone for sms in fake.outbox.messages()} <= set(ALLOWED)
    assert result.statuses[200] > 0
