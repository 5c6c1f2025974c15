"""The web outbox's routes, in-process: the page, its data, the event stream and /msgr/<id>."""

from __future__ import annotations

import json
import re
import time
from collections.abc import Iterator
from urllib.parse import quote

import httpx
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from intercom_phone_switch.fake import FakeIntercom
from intercom_phone_switch.fake import _page as page
from intercom_phone_switch.fake._clients import fake_client

from .conftest import SettableClock

MOBILE = "+353832345678"
OTHER = "+447911123456"
PATH = "/phone_call_redirects"
SECRET = "sk-page-test-0123456789abcdef"
SCRIPT = "<script>alert('boom')</script>"


@pytest.fixture
def secret_fake() -> FakeIntercom:
    return FakeIntercom(tokens=[SECRET, "short"])


@pytest.fixture
def browser(secret_fake: FakeIntercom) -> Iterator[httpx.Client]:
    """Plain httpx calling the fake in-process with no token, as a browser would."""
    with httpx.Client(transport=secret_fake.transport(), base_url="http://fake.invalid") as http:
        yield http


def send(fake: FakeIntercom, phone: str, attributes: dict[str, object] | None = None) -> str:
    with fake_client(fake, max_retries=0) as client:
        return client.create_phone_switch(phone, attributes).url


def test_the_page_and_its_files(raw: httpx.Client) -> None:
    answer = raw.get("/")
    assert answer.status_code == 200
    assert answer.headers["content-type"].startswith("text/html")
    csp = answer.headers["content-security-policy"]
    assert "script-src 'self'" in csp
    assert "unsafe-inline" not in csp
    assert answer.headers["x-content-type-options"] == "nosniff"
    linked = re.findall(r'(?:src|href)="(/__fake__/page/[^"]+)"', answer.text)
    assert sorted({link.rsplit("/", 1)[1] for link in linked}) == sorted(page.STATIC)
    for link in set(linked):
        asset = raw.get(link)
        assert asset.status_code == 200
        assert asset.headers["content-type"] == page.STATIC[link.rsplit("/", 1)[1]]
        assert asset.content
    assert raw.head("/").status_code == 200
    assert raw.get("/__fake__/page/msgr.html").status_code == 404
    assert raw.get("/__fake__/page/..%2Fapp.py").status_code == 404
    assert raw.post("/").status_code == 405


def test_the_page_shows_data_only_as_text_and_loads_nothing_from_elsewhere() -> None:
    script = page._static("app.js").decode()
    for markup_sink in ("innerHTML", "outerHTML", "insertAdjacentHTML", "document.write", "eval("):
        assert markup_sink not in script
    for name in ("index.html", "msgr.html", "app.js", "style.css"):
        assert "://" not in page._static(name).decode(), name


def test_state_newest_first_with_everything_the_page_shows(fake: FakeIntercom) -> None:
    first = send(fake, MOBILE, {"issue_type": "Billing"})
    second = send(fake, OTHER, {"note": SCRIPT})
    fake.faults.script("sms_failed", None, "latency")
    with httpx.Client(transport=fake.transport(), base_url="http://fake.invalid") as http:
        state = http.get("/__fake__/state").json()
    outbox = state["outbox"]
    assert (outbox["total"], outbox["kept"], outbox["matching"]) == (2, 2, 2)
    assert outbox["filter"] is None
    newest, oldest = outbox["messages"]
    assert (newest["phone"], newest["url"], newest["custom_attributes"]) == (
        OTHER,
        second,
        {"note": SCRIPT},
    )
    assert oldest["url"] == first
    assert newest["page"] == "/msgr/" + second.rsplit("/", 1)[1]
    assert {"sent_at", "version", "request_id", "sequence"} <= set(newest)
    assert [c["phone"] for c in state["contacts"]["contacts"]] == [OTHER, MOBILE]
    assert [p and p["kind"] for p in state["faults"]["pending"]] == ["sms_failed", None, "latency"]
    kinds = {kind["kind"]: kind for kind in state["faults"]["kinds"]}
    assert [k for k, v in kinds.items() if v["status"]] == [
        "server_error_before",
        "server_error_after",
    ]
    assert [k for k, v in kinds.items() if v["delay"]] == ["latency"]
    assert state["rate_limits"]["tokens"][0]["used"] == 2
    assert state["settings"]["default_version"] == fake.default_version
    assert state["revision"] == fake.changes.revision


def test_the_fault_log_newest_first(fake: FakeIntercom, raw: httpx.Client) -> None:
    fake.faults.script("sms_failed", "server_error_before")
    raw.post(PATH, json={"phone": MOBILE})
    raw.post(PATH, json={"phone": OTHER})
    log = raw.get("/__fake__/state").json()["faults"]["log"]
    assert [(r["fault"]["kind"], r["phone"], r["status"]) for r in log] == [
        ("server_error_before", OTHER, 500),
        ("sms_failed", MOBILE, 400),
    ]


@pytest.mark.parametrize(
    ("typed", "phones"),
    [
        ("", [OTHER, MOBILE]),
        ("  ", [OTHER, MOBILE]),
        ("+353 83", [MOBILE]),
        ("(7911) 123-4", [OTHER]),
        ("4479", [OTHER]),
        ("no digits", []),
        ("+1", []),
    ],
)
def test_filter_by_phone(
    fake: FakeIntercom, raw: httpx.Client, typed: str, phones: list[str]
) -> None:
    send(fake, MOBILE)
    send(fake, OTHER)
    outbox = raw.get("/__fake__/state", params={"phone": typed}).json()["outbox"]
    assert [m["phone"] for m in outbox["messages"]] == phones
    assert outbox["matching"] == len(phones)
    assert outbox["kept"] == 2


def test_the_page_gets_the_newest_only(
    fake: FakeIntercom, raw: httpx.Client, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(page, "SHOWN", 2)
    urls = [send(fake, MOBILE, {"n": str(n)}) for n in range(3)]
    outbox = raw.get("/__fake__/state").json()["outbox"]
    assert [m["url"] for m in outbox["messages"]] == urls[:0:-1]
    assert (outbox["kept"], outbox["matching"]) == (3, 3)


def test_no_token_is_ever_shown(secret_fake: FakeIntercom, browser: httpx.Client) -> None:
    url = send(secret_fake, MOBILE, {"issue_type": "Billing"})
    secret_fake.faults.script("sms_failed")
    send_failed = browser.post(
        PATH, json={"phone": OTHER}, headers={"Authorization": f"Bearer {SECRET}"}
    )
    assert send_failed.status_code == 400
    bodies = [
        browser.get(path).text
        for path in (
            "/",
            "/__fake__/page/app.js",
            "/__fake__/state",
            "/__fake__/rate-limits",
            "/__fake__/settings",
            "/__fake__/faults",
            "/__fake__/outbox",
            "/__fake__/contacts",
            "/msgr/" + url.rsplit("/", 1)[1],
        )
    ]
    assert all(SECRET not in body and SECRET[-12:] not in body for body in bodies)
    labels = [t["label"] for t in browser.get("/__fake__/rate-limits").json()["tokens"]]
    assert labels == ["token 1", "token 2 …" + SECRET[-4:]]  # "short" first, then SECRET


@pytest.mark.parametrize(
    ("token", "label"),
    [("short", "token 2"), ("fifteen-chars-x", "token 2"), ("sixteen-chars-xy", "token 2 …s-xy")],
)
def test_token_labels(token: str, label: str) -> None:
    assert page.token_label(2, token) == label


def test_rate_limits_per_token_in_the_current_window(clock: SettableClock) -> None:
    fake = FakeIntercom(tokens=["one", "two"], rate_limit=5, rate_limit_window=10, clock=clock)
    with httpx.Client(transport=fake.transport(), base_url="http://fake.invalid") as http:
        for token, calls in (("two", 2), ("one", 1)):
            for _ in range(calls):
                http.post(
                    PATH, json={"phone": MOBILE}, headers={"Authorization": f"Bearer {token}"}
                )
        limits = http.get("/__fake__/rate-limits").json()
        assert (limits["limit"], limits["window"]) == (5, 10)
        assert [(t["label"], t["used"], t["remaining"]) for t in limits["tokens"]] == [
            ("token 1", 2, 3),
            ("token 2", 1, 4),
        ]
        assert {t["reset"] for t in limits["tokens"]} == {1_700_000_010}
        assert page._quiet_for(fake) == pytest.approx(7.05)
        clock.now += 10
        later = http.get("/__fake__/rate-limits").json()["tokens"]
        assert [(t["used"], t["reset"]) for t in later] == [(0, 1_700_000_020)] * 2
        assert page._quiet_for(fake) == page.MAX_SILENCE


def test_clear_the_outbox_only(fake: FakeIntercom, raw: httpx.Client) -> None:
    send(fake, MOBILE, {"a": "b"})
    fake.faults.script("sms_failed")
    before = fake.changes.revision
    answer = raw.delete("/__fake__/outbox")
    assert answer.status_code == 200
    assert answer.json() == {"status": "cleared", "total": 0}
    assert fake.outbox.messages() == []
    assert fake.contacts.get(MOBILE) is not None
    assert len(fake.faults.pending) == 1
    assert fake.changes.revision > before
    assert raw.get("/__fake__/outbox").json()["messages"] == []
    assert raw.post("/__fake__/outbox").status_code == 405


def test_changes_are_notified_after_requests_that_change_state(
    fake: FakeIntercom, raw: httpx.Client
) -> None:
    revision = fake.changes.revision
    raw.get("/__fake__/state")
    raw.get("/__fake__/outbox")
    assert fake.changes.revision == revision
    raw.post(PATH, json={"phone": MOBILE})
    assert fake.changes.revision == revision + 1
    raw.post("/__fake__/faults", json={"script": ["latency"]})
    assert fake.changes.revision == revision + 2
    fake.reset()
    assert fake.changes.revision == revision + 3


def test_the_messenger_page_of_a_real_send(fake: FakeIntercom, raw: httpx.Client) -> None:
    url = send(fake, MOBILE, {"issue_type": "Billing", SCRIPT: SCRIPT, "seats": "3"})
    send(fake, MOBILE, {"plan": "Pro"})
    answer = raw.get("/msgr/" + url.rsplit("/", 1)[1])
    assert answer.status_code == 200
    assert "script-src" not in answer.headers["content-security-policy"]
    text = answer.text
    assert "<script" not in text
    assert text.count("&lt;script&gt;alert(&#x27;boom&#x27;)&lt;/script&gt;") == 4  # SMS, contact
    assert MOBILE in text
    assert "<dt>issue_type</dt><dd>Billing</dd>" in text
    sent, contact = text.split("The contact now")
    assert "plan" not in sent  # this SMS's attributes
    assert "<dt>plan</dt><dd>Pro</dd>" in contact  # the contact's, merged since
    assert "Hand-off" in text


@pytest.mark.parametrize("link", ["nope", "%3Cscript%3E", "x" * 500])
def test_an_unknown_messenger_link(raw: httpx.Client, link: str) -> None:
    answer = raw.get("/msgr/" + link)
    assert answer.status_code == 404
    assert "not in the fake" in answer.text
    assert "<script" not in answer.text


def test_the_event_stream_over_a_real_server(fake: FakeIntercom) -> None:
    with (
        fake.serve() as server,
        httpx.Client(base_url=server.url, timeout=10) as http,
        http.stream("GET", "/__fake__/events", params={"phone": "+353"}) as stream,
    ):
        assert stream.headers["content-type"].startswith("text/event-stream")
        events = _events(stream.iter_lines())
        first = next(events)
        assert first["outbox"]["messages"] == []
        send(fake, OTHER)  # filtered out, but a change all the same
        send(fake, MOBILE, {"issue_type": "Billing"})
        deadline = time.monotonic() + 10
        while True:
            state = next(events)
            if state["outbox"]["messages"]:
                break
            assert time.monotonic() < deadline, f"no state with the message in 10 s: {state}"
        assert [m["phone"] for m in state["outbox"]["messages"]] == [MOBILE]
        assert state["revision"] > first["revision"]


def _events(lines: Iterator[str]) -> Iterator[dict[str, object]]:
    event = None
    for line in lines:
        if line.startswith("event: "):
            event = line[len("event: ") :]
        elif line.startswith("data: ") and event == "state":
            yield json.loads(line[len("data: ") :])


text_in_urls = st.text(st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=80)


@settings(max_examples=60, deadline=None)
@given(phone=text_in_urls, link=text_in_urls, name=text_in_urls)
def test_page_routes_never_answer_5xx(phone: str, link: str, name: str) -> None:
    fake = FakeIntercom()
    with httpx.Client(transport=fake.transport(), base_url="http://fake.invalid") as http:
        answers = [
            http.get("/__fake__/state", params={"phone": phone}),
            http.get("/msgr/" + quote(link, safe="")),
            http.get("/__fake__/page/" + quote(name, safe="")),
            http.request("DELETE", "/__fake__/outbox", params={"phone": phone}),
        ]
    assert all(answer.status_code < 500 for answer in answers)
