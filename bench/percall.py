"""Per-call cost: one phone switch, synchronous, answered by an in-memory transport.

Every contender sends the same request (same URL, body, ``Authorization`` and
``Intercom-Version`` headers) through its own ``httpx.Client`` on the same
``httpx.MockTransport``, which returns the same canned 200 answer. The request each one
sends is checked before anything is timed. What is timed is everything between the
caller's plain inputs (a phone number and a dict of custom attributes) and a parsed
result:

- raw httpx: ``client.post(...)`` then ``response.json()``, with ``base_url`` and a path,
  and again with a prebuilt absolute ``httpx.URL`` and prebuilt headers (the facade's
  reference: the leanest hand-written httpx);
- generated client: ``PhoneSwitchRequest.from_dict(...)`` then ``create_phone_switch.sync``;
- facade: ``PhoneSwitchClient.create_phone_switch(phone, custom_attributes)``;
- official SDK: ``CreatePhoneSwitchRequest(...)`` then
  ``Intercom(...).phone_call_redirects.create(request=...)``.

Rounds run the contenders in turn, a few hundred calls each (so a slow spell of the
machine hits all of them alike). A figure is the median over rounds of a contender's mean
time per call; a ratio is the median over rounds of the two contenders' ratio in the same
round.
"""

from __future__ import annotations

import gc
import itertools
import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Final

import httpx

from intercom_phone_switch.spec import effective
from intercom_phone_switch_generated.registry import LATEST_VERSION, MODULES, PATH

from .report import Row, Target, spread
from .support import TOKEN, median

BASE_URL = "https://api.intercom.io"
VERSION: Final = LATEST_VERSION
PHONE = "+353832345678"
ATTRIBUTES: dict[str, Any] = {"issue_type": "Billing", "priority": "High", "callback": 3}
#: The request body on the wire: the version's own field names, from its effective spec.
PAYLOAD: dict[str, Any] = {
    effective(VERSION).request_field("phone"): PHONE,
    effective(VERSION).request_field("custom_attributes"): ATTRIBUTES,
}
ANSWER = json.dumps(
    {"type": "phone_call_redirect", "url": "http://via.intercom.io/msgr/3b1ec1f7-4c34-4c8d"}
).encode()

FACADE = "facade"
FACADE_NEW = "facade, new number each call"
RAW = "raw httpx"
RAW_PREBUILT = "raw httpx, prebuilt URL and headers"
GENERATED = "generated client"
SDK = "official SDK"

Call = Callable[[], object]


def respond(request: httpx.Request) -> httpx.Response:
    """The canned answer, with the rate-limit headers Intercom puts on every answer."""
    return httpx.Response(
        200,
        headers={
            "content-type": "application/json",
            "x-ratelimit-limit": "1666",
            "x-ratelimit-remaining": "1665",
            "x-ratelimit-reset": str(int(time.time()) + 10),
        },
        content=ANSWER,
    )


@dataclass
class Recorder:
    """Keeps the last request a transport saw (only while checking, never while timing)."""

    requests: list[httpx.Request] = field(default_factory=list)

    def __call__(self, request: httpx.Request) -> httpx.Response:
        request.read()
        self.requests.append(request)
        return respond(request)


def raw_httpx(transport: httpx.BaseTransport) -> Call:
    client = httpx.Client(
        base_url=BASE_URL,
        headers={"Authorization": f"Bearer {TOKEN}", "Intercom-Version": VERSION},
        transport=transport,
    )

    def call() -> object:
        return client.post(PATH, json=PAYLOAD).json()

    return call


def raw_httpx_prebuilt(transport: httpx.BaseTransport) -> Call:
    """Raw httpx at its leanest: an absolute URL and the headers built once, no base_url
    to join on every call (which costs some 55 us)."""
    client = httpx.Client(transport=transport)
    url = httpx.URL(BASE_URL + PATH)
    headers = {"Authorization": f"Bearer {TOKEN}", "Intercom-Version": VERSION}

    def call() -> object:
        return client.post(url, json=PAYLOAD, headers=headers).json()

    return call


def generated_client(transport: httpx.BaseTransport) -> Call:
    import importlib
    import typing

    package = f"intercom_phone_switch_generated.{MODULES[VERSION]}"
    AuthenticatedClient = importlib.import_module(package).AuthenticatedClient
    create_phone_switch = importlib.import_module(f"{package}.api.switch.create_phone_switch")
    # The version's request model, whatever the generator named it.
    request_model = typing.get_type_hints(create_phone_switch.sync)["body"]

    http = httpx.Client(
        base_url=BASE_URL, headers={"Authorization": f"Bearer {TOKEN}"}, transport=transport
    )
    client = AuthenticatedClient(base_url=BASE_URL, token=TOKEN).set_httpx_client(http)

    def call() -> object:
        body = request_model.from_dict(PAYLOAD)
        return create_phone_switch.sync(client=client, body=body, intercom_version=VERSION)

    return call


def facade(transport: httpx.BaseTransport) -> Call:
    from intercom_phone_switch import PhoneSwitchClient

    client = PhoneSwitchClient(
        token=TOKEN,
        version=VERSION,
        base_url=BASE_URL,
        http_client=httpx.Client(transport=transport),
    )

    def call() -> object:
        return client.create_phone_switch(PHONE, ATTRIBUTES)

    return call


def facade_new_numbers(transport: httpx.BaseTransport) -> Call:
    """The facade sending to a number it has not seen before on every call (the first
    call excepted), so its phone check does the full parse each time."""
    from intercom_phone_switch import PhoneSwitchClient

    client = PhoneSwitchClient(
        token=TOKEN,
        version=VERSION,
        base_url=BASE_URL,
        http_client=httpx.Client(transport=transport),
    )
    numbers = itertools.chain([PHONE], (f"+35387{index:07d}" for index in itertools.count()))

    def call() -> object:
        return client.create_phone_switch(next(numbers), ATTRIBUTES)

    return call


def official_sdk(transport: httpx.BaseTransport) -> Call:
    from intercom import CreatePhoneSwitchRequest, Intercom

    client = Intercom(
        token=TOKEN,
        base_url=BASE_URL,
        headers={"Intercom-Version": VERSION},
        httpx_client=httpx.Client(transport=transport),
    )

    def call() -> object:
        request = CreatePhoneSwitchRequest(phone=PHONE, custom_attributes=ATTRIBUTES)
        return client.phone_call_redirects.create(request=request)

    return call


FACTORIES: dict[str, Callable[[httpx.BaseTransport], Call]] = {
    RAW: raw_httpx,
    RAW_PREBUILT: raw_httpx_prebuilt,
    GENERATED: generated_client,
    FACADE: facade,
    FACADE_NEW: facade_new_numbers,
    SDK: official_sdk,
}


def check_request(name: str, factory: Callable[[httpx.BaseTransport], Call]) -> None:
    """Fail unless the contender sends exactly the request the others send."""
    recorder = Recorder()
    result = factory(httpx.MockTransport(recorder))()
    request = recorder.requests[-1]
    problems = []
    if request.method != "POST" or str(request.url) != BASE_URL + PATH:
        problems.append(f"{request.method} {request.url}")
    if json.loads(request.content) != PAYLOAD:
        problems.append(f"body {request.content!r}")
    if request.headers.get("authorization") != f"Bearer {TOKEN}":
        problems.append("Authorization header")
    if request.headers.get("intercom-version") != VERSION:
        problems.append(f"Intercom-Version {request.headers.get('intercom-version')!r}")
    if result is None:
        problems.append("no parsed result")
    if problems:
        raise RuntimeError(f"{name} sends a different request: {', '.join(problems)}")


def load(errors: dict[str, str]) -> dict[str, Call]:
    """One ready call per contender that can be built; why not, in ``errors``, for the rest."""
    calls: dict[str, Call] = {}
    for name, factory in FACTORIES.items():
        try:
            check_request(name, factory)
            calls[name] = factory(httpx.MockTransport(respond))
        except Exception as exc:  # a missing or broken contender is reported, not fatal
            errors[name] = f"{type(exc).__name__}: {exc}"
    return calls


def time_calls(call: Call, count: int) -> float:
    """Mean nanoseconds per call over ``count`` calls."""
    started = time.perf_counter_ns()
    for _ in range(count):
        call()
    return (time.perf_counter_ns() - started) / count


def measure(calls: dict[str, Call], count: int, rounds: int, warmup: int) -> dict[str, list[float]]:
    """Each contender's mean time per call (microseconds) in each round.

    A round times ``count`` calls of every contender in turn; many short rounds spread
    the machine's slow spells evenly over the contenders.
    """
    for call in calls.values():
        time_calls(call, warmup)
    samples: dict[str, list[float]] = {name: [] for name in calls}
    for _ in range(rounds):
        gc.collect()
        for name, call in calls.items():
            samples[name].append(time_calls(call, count) / 1000)
    return samples


def round_ratios(samples: dict[str, list[float]], numerator: str, denominator: str) -> list[float]:
    """The two contenders' ratio within each round."""
    top, bottom = samples.get(numerator), samples.get(denominator)
    if not top or not bottom:
        return []
    return [a / b for a, b in zip(top, bottom, strict=True)]


def ratio_of(samples: dict[str, list[float]], numerator: str, denominator: str) -> float | None:
    """The median over rounds of the two contenders' ratio within the same round."""
    found = round_ratios(samples, numerator, denominator)
    return median(found) if found else None


def run(count: int = 250, rounds: int = 20, warmup: int = 300) -> list[Row]:
    errors: dict[str, str] = {}
    calls = load(errors)
    samples = measure(calls, count, rounds, warmup)
    section = "per-call (sync, mock transport)"
    details = {"calls_per_round": count, "rounds": rounds, "warmup_calls": warmup}

    def per_call(name: str) -> float | None:
        found = samples.get(name)
        return median(found) if found else None

    def ratio(numerator: str, denominator: str) -> float | None:
        return ratio_of(samples, numerator, denominator)

    def spreads(name: str, versus: str | None = None) -> dict[str, Any]:
        found = {"spread": spread(samples.get(name, []))}
        if versus is not None:
            found["ratio_spread"] = spread(round_ratios(samples, name, versus))
        return found

    def why(*names: str) -> str:
        return "; ".join(
            f"{name} not measured ({errors[name]})" for name in names if name in errors
        )

    return [
        Row(section, RAW, per_call(RAW), "us/call", note=why(RAW), details=details, **spreads(RAW)),
        Row(
            section,
            RAW_PREBUILT,
            per_call(RAW_PREBUILT),
            "us/call",
            **spreads(RAW_PREBUILT, RAW),
            reference="raw httpx (time ratio)",
            ratio=ratio(RAW_PREBUILT, RAW),
            note=why(RAW_PREBUILT),
        ),
        Row(
            section,
            GENERATED,
            per_call(GENERATED),
            "us/call",
            **spreads(GENERATED, RAW),
            reference="raw httpx (time ratio)",
            ratio=ratio(GENERATED, RAW),
            note=why(GENERATED),
        ),
        Row(
            section,
            FACADE,
            per_call(FACADE),
            "us/call",
            **spreads(FACADE, RAW_PREBUILT),
            reference="raw httpx, prebuilt URL and headers (time ratio)",
            ratio=ratio(FACADE, RAW_PREBUILT),
            target=Target("<=", 1.0),
            note=why(FACADE, RAW_PREBUILT),
        ),
        Row(
            section,
            FACADE_NEW,
            per_call(FACADE_NEW),
            "us/call",
            **spreads(FACADE_NEW, RAW),
            reference="raw httpx (time ratio)",
            ratio=ratio(FACADE_NEW, RAW),
            note=why(FACADE_NEW)
            or "informative: the phone check cannot use its cache (the SDK checks nothing)",
        ),
        Row(
            section,
            SDK,
            per_call(SDK),
            "us/call",
            **spreads(SDK, FACADE),
            reference="facade (SDK time / facade time)",
            ratio=ratio(SDK, FACADE),
            target=Target(">=", 2.0),
            note=why(SDK),
        ),
    ]
