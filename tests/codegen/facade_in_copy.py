"""What the facade and the fake do on every version of a copy of the project.

Run by ``test_next_version_end_to_end.py`` as a script, in a fresh interpreter whose
``PYTHONPATH`` starts with the copy's ``generated/``: the registry, the seams and the
effective specs are the copy's, the facade and the fake the checkout's. Usage::

    PYTHONPATH=COPY/generated python facade_in_copy.py COPY

Prints one JSON object: what the registry says, and for every version what each call
gave (a PhoneSwitch or an error, as plain data) and what reached the fake (every request
passes through a transport that notes its headers and body before the fake reads it).
Nothing here asserts: the test does, so that a failure shows the whole picture.
"""

from __future__ import annotations

import asyncio
import json
import sys
from pathlib import Path
from typing import Any

import httpx

from intercom_phone_switch import (
    LATEST_VERSION,
    PhoneSwitch,
    PhoneSwitchClient,
    PhoneSwitchError,
    spec,
)
from intercom_phone_switch.fake import FakeIntercom, Fault, FaultKind, fake_async_client
from intercom_phone_switch_generated import registry

TOKEN = "end-to-end-token-0001"
BASE_URL = "http://fake-intercom.invalid"
#: The newly documented answer of the next version, by its error code.
IN_PROGRESS = "phone_switch_in_progress"


class Wire(httpx.BaseTransport):
    """The fake's in-process transport, noting each request that reaches the fake."""

    def __init__(self, fake: FakeIntercom) -> None:
        self.inner = fake.transport()
        self.requests: list[dict[str, Any]] = []

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        content = request.read()
        self.requests.append(
            {
                "version": request.headers.get("intercom-version"),
                "body": json.loads(content) if content else None,
            }
        )
        return self.inner.handle_request(request)

    def close(self) -> None:
        self.inner.close()


def outcome(result: PhoneSwitch | PhoneSwitchError) -> dict[str, Any]:
    """A call's result as plain data."""
    if isinstance(result, PhoneSwitch):
        return {
            "class": "PhoneSwitch",
            "type": result.type,
            "url": result.url,
            "phone": result.phone,
            "version": result.version,
            "attempts": result.attempts,
            "extra": dict(result.extra),
        }
    return {
        "class": type(result).__name__,
        "outcome": result.outcome.value,
        "sms_sent": result.sms_sent,
        "status": result.status,
        "codes": list(result.codes),
        "error_key": result.error_key,
        "attempts": result.attempts,
        "message": result.message,
    }


def call(
    client: PhoneSwitchClient, wire: Wire, *args: Any, **kwargs: Any
) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """One call: its result, and the requests the fake saw during it."""
    before = len(wire.requests)
    try:
        result: PhoneSwitch | PhoneSwitchError = client.create_phone_switch(*args, **kwargs)
    except PhoneSwitchError as error:
        result = error
    return outcome(result), wire.requests[before:]


def every_version(fake: FakeIntercom) -> dict[str, Any]:
    seen: dict[str, Any] = {}
    wire = Wire(fake)
    documents_409 = any(409 in spec.effective(v).documented_statuses for v in registry.VERSIONS)
    with (
        httpx.Client(transport=wire) as http,
        PhoneSwitchClient(TOKEN, base_url=BASE_URL, http_client=http) as client,
    ):
        for index, version in enumerate(registry.VERSIONS):
            phones = [f"+3538320{index:02d}{n:03d}" for n in range(4)]
            plain, plain_wire = call(client, wire, phones[0], {"tier": "gold"}, version=version)
            sent = fake.outbox.messages(phones[0])
            listed, listed_wire = call(
                client, wire, phones[1], {"tags": ["gold", "vip"]}, version=version
            )
            contact = fake.contacts.get(phones[1])
            conflict: dict[str, Any] | None = None
            if documents_409:
                fake.faults.script(Fault(FaultKind.ANSWER, status=409, example=IN_PROGRESS))
                answered, answered_wire = call(client, wire, phones[2], version=version)
                record = fake.faults.log[-1]
                fake.faults.clear()
                conflict = {
                    "result": answered,
                    "requests": len(answered_wire),
                    "applied": record.applied,
                    "sms_recorded": record.sms_recorded,
                    "outbox": len(fake.outbox.messages(phones[2])),
                }
            invalid, invalid_wire = call(client, wire, "+1 123", version=version)
            seen[version] = {
                "phone_field": spec.effective(version).request_field("phone"),
                "plain": plain,
                "plain_wire": plain_wire,
                "outbox": [
                    {"phone": sms.phone, "version": sms.version, "spec_version": sms.spec_version}
                    for sms in sent
                ],
                "list": listed,
                "list_requests": len(listed_wire),
                "contact": None if contact is None else contact.custom_attributes,
                "409": conflict,
                "invalid": invalid,
                "invalid_requests": len(invalid_wire),
            }
    return seen


def by_default(fake: FakeIntercom) -> dict[str, Any]:
    """A client left at its default version, and a request with no Intercom-Version."""
    wire = Wire(fake)
    with (
        httpx.Client(transport=wire) as http,
        PhoneSwitchClient(TOKEN, base_url=BASE_URL, http_client=http) as client,
    ):
        result, requests = call(client, wire, "+353832999001")
        field = spec.effective(LATEST_VERSION).request_field("phone")
        bare = http.post(
            f"{BASE_URL}{registry.PATH}",
            json={field: "+353832999002"},
            headers={"Authorization": f"Bearer {TOKEN}"},
        )
    (sms,) = fake.outbox.messages("+353832999002")
    return {
        "client": client.version,
        "result": result,
        "requests": requests,
        "fake_default": fake.default_version,
        "bare_status": bare.status_code,
        "bare_spec_version": sms.spec_version,
    }


def unchanged_names(fake: FakeIntercom) -> dict[str, Any]:
    """What the fake answers, on every version, to a body that names the phone by the
    facade's stable name (``phone``) rather than by the version's field."""
    answers: dict[str, Any] = {}
    with httpx.Client(transport=fake.transport(), base_url=BASE_URL) as http:
        for index, version in enumerate(registry.VERSIONS):
            answer = http.post(
                registry.PATH,
                json={"phone": f"+3538330{index:02d}000"},
                headers={"Authorization": f"Bearer {TOKEN}", "Intercom-Version": version},
            )
            answers[version] = {"status": answer.status_code, "body": answer.json()}
    return answers


async def asynchronously(fake: FakeIntercom) -> dict[str, Any]:
    """One call per version through the async client."""
    results: dict[str, Any] = {}
    async with fake_async_client(fake, token=TOKEN) as client:
        for index, version in enumerate(registry.VERSIONS):
            try:
                result: PhoneSwitch | PhoneSwitchError = await client.create_phone_switch(
                    f"+3538340{index:02d}000", version=version
                )
            except PhoneSwitchError as error:
                result = error
            results[version] = outcome(result)
    return results


def main(root: Path) -> dict[str, Any]:
    fake = FakeIntercom(tokens=[TOKEN])
    return {
        "registry": str(Path(registry.__file__).resolve()),
        "copy": str(root.resolve()),
        "versions": list(registry.VERSIONS),
        "latest": LATEST_VERSION,
        "calls": every_version(fake),
        "default": by_default(fake),
        "stable_names": unchanged_names(fake),
        "async": asyncio.run(asynchronously(fake)),
    }


if __name__ == "__main__":
    print(json.dumps(main(Path(sys.argv[1])), default=repr))
