"""The client (PhoneSwitchClient, AsyncPhoneSwitchClient) against the fake."""

from __future__ import annotations

import asyncio

import pytest

from intercom_phone_switch import (
    AuthenticationError,
    Clock,
    DeliveryUnknown,
    LandlinePhoneNumber,
    PhoneSwitch,
    PhoneSwitchClient,
    RateLimited,
    ServerError,
    SmsNotSent,
)
from intercom_phone_switch.fake import FakeIntercom, Fault, fake_async_client, fake_client
from intercom_phone_switch_generated.registry import HEADER_VALUES, VERSIONS

MOBILE = "+353832345678"


class SharedClock(Clock):
    """One clock for the fake and the client: waiting for a rate-limit window takes no
    time, the client's sleep moves the clock on."""

    def __init__(self) -> None:
        self.now = 1_700_000_003.0
        self.slept: list[float] = []

    def __call__(self) -> float:
        return self.now

    def random(self) -> float:
        return 0.0  # no jitter: waits are exactly until the reset

    def time(self) -> float:
        return self.now

    def monotonic(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds

    async def async_sleep(self, seconds: float) -> None:
        self.sleep(seconds)


@pytest.mark.parametrize("version", VERSIONS)
def test_a_phone_switch_for_every_version(
    fake_intercom: FakeIntercom, fake_intercom_client: PhoneSwitchClient, version: str
) -> None:
    switch = fake_intercom_client.create_phone_switch(
        MOBILE, {"issue_type": "Billing"}, version=version
    )
    assert isinstance(switch, PhoneSwitch)
    (sms,) = fake_intercom.outbox.messages()
    assert (sms.url, sms.request_id, sms.spec_version, sms.phone) == (
        switch.url,
        switch.request_id,
        version,
        switch.phone,
    )
    assert switch.version == version
    assert switch.rate_limit.limit == fake_intercom.rate_limiter.limit
    contact = fake_intercom.contacts.get(MOBILE)
    assert contact is not None
    assert contact.custom_attributes == {"issue_type": "Billing"}


def test_every_header_value_reaches_the_fake(fake_intercom: FakeIntercom) -> None:
    with fake_client(fake_intercom) as client:
        for header in HEADER_VALUES:
            client.create_phone_switch(MOBILE, version=header)
    assert [sms.version for sms in fake_intercom.outbox] == list(HEADER_VALUES)
    assert [sms.spec_version for sms in fake_intercom.outbox] == list(HEADER_VALUES.values())


def test_typed_errors_from_the_fakes_answers(fake_intercom: FakeIntercom) -> None:
    with fake_client(fake_intercom, max_retries=0) as client:
        with pytest.raises(LandlinePhoneNumber) as landline:
            client.create_phone_switch("+40241100100")
        assert (landline.value.status, landline.value.error_key) == (422, "landline_phone")
        fake_intercom.faults.script("sms_failed")
        with pytest.raises(SmsNotSent) as failed:
            client.create_phone_switch(MOBILE)
        assert failed.value.status == 400
        fake_intercom.faults.script(Fault("server_error_before", status=503))  # type: ignore[arg-type]
        with pytest.raises(ServerError) as server:
            client.create_phone_switch(MOBILE)
        assert server.value.status == 503
        assert server.value.request_id == fake_intercom.faults.log[-1].request_id
        fake_intercom.faults.script("drop_after_sms")
        with pytest.raises(DeliveryUnknown) as unknown:
            client.create_phone_switch(MOBILE)
        assert type(unknown.value) is DeliveryUnknown
    assert fake_intercom.outbox.total == 1  # only the dropped connection sent an SMS
    with (
        fake_client(fake_intercom, token="wrong") as stranger,
        pytest.raises(AuthenticationError) as auth,
    ):
        stranger.create_phone_switch(MOBILE)
    assert auth.value.status == 401


def test_rate_limited_then_retried_in_the_next_window() -> None:
    clock = SharedClock()
    fake = FakeIntercom(rate_limit=1, clock=clock)
    with fake_client(fake, max_retries=0, clock=clock) as impatient:
        impatient.create_phone_switch(MOBILE)
        with pytest.raises(RateLimited) as limited:
            impatient.create_phone_switch(MOBILE)
    assert limited.value.reset == 1_700_000_010
    assert limited.value.rate_limit is not None
    assert limited.value.rate_limit.remaining == 0
    with fake_client(fake, max_retries=1, clock=clock) as patient:
        switch = patient.create_phone_switch(MOBILE)
    assert switch.attempts == 2
    assert clock.slept == [7.0]  # until X-RateLimit-Reset
    assert fake.outbox.total == 2


def test_read_timeout_is_delivery_unknown(fake_intercom: FakeIntercom) -> None:
    fake_intercom.faults.script({"kind": "latency", "delay": 0.5})
    with fake_client(fake_intercom, timeout=0.05) as client, pytest.raises(DeliveryUnknown):
        client.create_phone_switch(MOBILE)


def test_async_bulk_sending(fake_intercom: FakeIntercom) -> None:
    phones = [f"+3538310{index:05d}" for index in range(60)]

    async def scenario() -> list[object]:
        async with fake_async_client(fake_intercom) as client:
            single = await client.create_phone_switch(MOBILE, version="2.12")
            bulk = await client.create_phone_switches(
                [(phone, {"n": str(index)}) for index, phone in enumerate(phones)],
                concurrency=8,
                version="2.13",
            )
            return [single, *bulk]

    outcomes = asyncio.run(scenario())
    assert all(isinstance(outcome, PhoneSwitch) for outcome in outcomes)
    assert fake_intercom.outbox.total == 61
    assert sorted(sms.phone for sms in fake_intercom.outbox.messages()[1:]) == phones
    assert {sms.spec_version for sms in fake_intercom.outbox.messages()[1:]} == {"2.13"}


def test_over_a_real_port(fake_intercom: FakeIntercom) -> None:
    with (
        fake_intercom.serve() as server,
        PhoneSwitchClient("fake-intercom-token", base_url=server.url, max_retries=0) as client,
    ):
        switch = client.create_phone_switch(MOBILE, version="Unstable")
        fake_intercom.faults.script("drop_after_sms", "server_error_after")
        with pytest.raises(DeliveryUnknown) as dropped:
            client.create_phone_switch(MOBILE)
        with pytest.raises(ServerError):
            client.create_phone_switch(MOBILE)
    assert type(dropped.value) is DeliveryUnknown
    assert fake_intercom.outbox.messages()[0].url == switch.url
    assert fake_intercom.outbox.total == 3
