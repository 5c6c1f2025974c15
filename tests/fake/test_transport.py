"""The in-process transports: timeouts, dropped connections, closing."""

from __future__ import annotations

import asyncio
import time

import httpx
import pytest

from intercom_phone_switch.fake import DEFAULT_TOKEN, FakeIntercom
from intercom_phone_switch.fake._faults import FaultRecord

MOBILE = "+353832345678"
PATH = "/phone_call_redirects"
AUTH = {"Authorization": f"Bearer {DEFAULT_TOKEN}"}


def wait_until_answered(record: FaultRecord) -> None:
    """The fake finishes a request its client gave up on; wait for it (bounded)."""
    for _ in range(500):
        if record.status is not None:
            return
        time.sleep(0.01)
    raise AssertionError("the fake never finished the request")


def test_read_timeout_while_the_fake_carries_on(fake: FakeIntercom) -> None:
    fake.faults.script({"kind": "latency", "delay": 0.3})
    transport = fake.transport()
    with httpx.Client(transport=transport, base_url="http://x", headers=AUTH) as client:
        with pytest.raises(httpx.ReadTimeout) as caught:
            client.post(PATH, json={"phone": MOBILE}, timeout=0.05)
        assert caught.value.request.url.path == PATH
        (record,) = fake.faults.log
        wait_until_answered(record)
    assert (record.sms_recorded, record.status) == (True, 200)
    assert fake.outbox.total == 1


def test_sync_transport_can_be_used_from_many_threads(fake: FakeIntercom) -> None:
    from concurrent.futures import ThreadPoolExecutor

    with (
        httpx.Client(transport=fake.transport(), base_url="http://x", headers=AUTH) as client,
        ThreadPoolExecutor(4) as pool,
    ):
        statuses = list(
            pool.map(
                lambda i: client.post(PATH, json={"phone": f"+3538310{i:05d}"}).status_code,
                range(40),
            )
        )
    assert statuses == [200] * 40
    assert fake.outbox.total == 40


def test_closed_transport(fake: FakeIntercom) -> None:
    transport = fake.transport()
    client = httpx.Client(transport=transport, base_url="http://x", headers=AUTH)
    assert client.post(PATH, json={"phone": MOBILE}).status_code == 200
    client.close()
    transport.close()  # twice is fine
    with pytest.raises(RuntimeError, match="closed"):
        transport.handle_request(httpx.Request("POST", "http://x" + PATH))
    fake.transport().close()  # never used: nothing to stop


def test_async_transport_timeout_and_drop(fake: FakeIntercom) -> None:
    async def scenario() -> list[str]:
        seen = []
        transport = fake.async_transport()
        async with httpx.AsyncClient(transport=transport, base_url="http://x", headers=AUTH) as c:
            seen.append(str((await c.post(PATH, json={"phone": MOBILE})).status_code))
            fake.faults.script({"kind": "latency", "delay": 5}, "drop_after_sms")
            for _ in range(2):
                try:
                    await c.post(PATH, json={"phone": MOBILE}, timeout=0.05)
                except httpx.TransportError as error:
                    seen.append(type(error).__name__)
        return seen

    assert asyncio.run(scenario()) == ["200", "ReadTimeout", "ConnectionDropped"]
    # The slow request was still running when the client closed: it never sent its SMS.
    assert fake.outbox.total == 2
