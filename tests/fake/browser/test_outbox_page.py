"""The fake's web outbox in real headless Chromium: live updates, filter, detail, clear,
faults from the page, escaping, screenshots and the Messenger page of a real send."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import pytest

from intercom_phone_switch import PhoneSwitchClient, SmsNotSent
from intercom_phone_switch.fake import DEFAULT_TOKEN, FakeIntercom, FakeServer

from .conftest import ARTIFACTS, Console

if TYPE_CHECKING:
    from playwright.sync_api import Page

pytestmark = [pytest.mark.browser, pytest.mark.system]

OpenPage = Callable[..., "Page"]
MOBILE = "+353832345678"
OTHER = "+447911123456"
SCRIPT = "<script>window.pwned = 'script'</script>"
IMAGE = "<img src=x onerror=\"window.pwned = 'image'\">"


def expect(target: Any) -> Any:
    from playwright.sync_api import expect as playwright_expect

    return playwright_expect(target)


def live(page: Page) -> Page:
    """``page`` once its event stream delivered the first state."""
    expect(page.locator("#live")).to_have_attribute("data-state", "live")
    expect(page.locator("#fault-kind option").first).to_be_attached()
    return page


def card(page: Page, phone: str) -> Any:
    return page.locator("#messages > li").filter(has=page.get_by_role("button", name=phone))


def opener_of(page: Page, request_id: str) -> Any:
    """The button in the list that opens the detail of the SMS ``request_id``."""
    return page.locator(f'#messages button[data-key="{request_id}"]')


def wait_until(condition: Callable[[], bool], what: str, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"never happened: {what}")
        time.sleep(0.02)


def test_the_page_loads_without_console_errors(open_page: OpenPage, console: Console) -> None:
    page = live(open_page())
    assert page.title() == "Fake Intercom outbox"
    expect(page.locator("#outbox-empty")).to_be_visible()
    expect(page.get_by_role("button", name="Clear outbox")).to_be_visible()
    assert console.errors == []


def test_a_send_appears_within_a_second_without_a_reload(
    open_page: OpenPage, client: PhoneSwitchClient, fake: FakeIntercom
) -> None:
    page = live(open_page())
    page.evaluate("window.notReloaded = true")
    switch = client.create_phone_switch(MOBILE, {"issue_type": "Billing"})
    sms = card(page, MOBILE)
    expect(sms).to_be_visible(timeout=1_000)
    assert page.evaluate("window.notReloaded") is True
    expect(sms.locator(".badge")).to_have_text(switch.version)
    expect(sms).to_contain_text(switch.request_id)
    expect(sms.get_by_role("link", name=switch.url)).to_have_attribute("href", switch.url)
    expect(sms.locator(".chips")).to_have_text("issue_type = Billing")
    sent = fake.outbox.last()
    assert sent is not None
    expect(sms.locator("time")).to_have_attribute("datetime", sent.sent_at.isoformat())
    expect(page.locator("#outbox-count")).to_have_text("1")
    expect(page.locator("#contacts")).to_contain_text("issue_type = Billing")


def test_newest_first_and_the_filter_by_phone(
    open_page: OpenPage, client: PhoneSwitchClient
) -> None:
    client.create_phone_switch(MOBILE)
    client.create_phone_switch(OTHER)
    page = live(open_page())
    phones = page.locator("#messages > li button.phone")
    expect(phones).to_have_text([OTHER, MOBILE])
    page.get_by_label("Filter by phone").fill("+353 83")
    expect(phones).to_have_text([MOBILE])
    assert page.url.endswith("/?phone=%2B353+83")  # a reload keeps the filter
    client.create_phone_switch(OTHER)  # not shown: filtered out
    client.create_phone_switch(MOBILE, {"second": "yes"})
    expect(phones).to_have_text([MOBILE, MOBILE])
    expect(page.locator("#outbox-count")).to_have_text("2 of 4")
    page.get_by_label("Filter by phone").fill("+1 555")
    expect(phones).to_have_count(0)
    expect(page.locator("#outbox-empty")).to_have_text("No SMS to a phone matching the filter.")
    page.get_by_label("Filter by phone").fill("")
    expect(phones).to_have_count(4)


def test_the_detail_view_by_keyboard(open_page: OpenPage, client: PhoneSwitchClient) -> None:
    switch = client.create_phone_switch(MOBILE, {"issue_type": "Billing"})
    client.create_phone_switch(MOBILE, {"plan": "Pro"}, version="2.13")
    page = live(open_page())
    opener = card(page, MOBILE).last.get_by_role("button", name=MOBILE)
    opener.focus()
    page.keyboard.press("Enter")
    dialog = page.get_by_role("dialog")
    expect(dialog).to_be_visible()
    expect(dialog.locator("#detail-title")).to_have_text(f"SMS to {MOBILE}")
    facts = dialog.locator("#detail-facts")
    expect(facts).to_contain_text(switch.request_id)
    expect(facts).to_contain_text(switch.version)
    expect(facts.get_by_role("link", name=switch.url)).to_be_visible()
    expect(dialog.locator("#detail-attributes")).to_have_text("issue_typeBilling")
    expect(dialog.locator("#detail-contact")).to_contain_text("plan")  # merged since
    page.keyboard.press("Escape")
    expect(dialog).to_be_hidden()
    expect(opener_of(page, switch.request_id)).to_be_focused()


def test_closing_the_detail_view_returns_focus_after_the_list_changed(
    open_page: OpenPage, client: PhoneSwitchClient
) -> None:
    """The list is rebuilt on every update; focus goes back to the same SMS's button."""
    switch = client.create_phone_switch(MOBILE)
    page = live(open_page())
    card(page, MOBILE).get_by_role("button", name=MOBILE).focus()
    page.keyboard.press("Enter")
    dialog = page.get_by_role("dialog")
    expect(dialog).to_be_visible()
    client.create_phone_switch(OTHER)  # rebuilds the list behind the open dialog
    expect(card(page, OTHER)).to_be_attached()
    page.keyboard.press("Escape")
    expect(dialog).to_be_hidden()
    expect(opener_of(page, switch.request_id)).to_be_focused()


def test_clear_the_outbox_from_the_page(
    open_page: OpenPage, client: PhoneSwitchClient, fake: FakeIntercom
) -> None:
    client.create_phone_switch(MOBILE, {"issue_type": "Billing"})
    page = live(open_page())
    expect(card(page, MOBILE)).to_be_visible()
    page.get_by_role("button", name="Clear outbox").click()
    expect(page.locator("#messages > li")).to_have_count(0)
    expect(page.locator("#outbox-empty")).to_be_visible()
    expect(page.get_by_role("status").filter(has_text="Outbox cleared.")).to_be_visible()
    assert fake.outbox.messages() == []
    assert fake.contacts.get(MOBILE) is not None  # only the outbox
    client.create_phone_switch(OTHER)
    expect(card(page, OTHER)).to_be_visible()


def test_faults_injected_from_the_page(
    open_page: OpenPage, client: PhoneSwitchClient, fake: FakeIntercom
) -> None:
    page = live(open_page())
    page.get_by_label("Kind").select_option("sms_failed")
    expect(page.get_by_label("Status")).to_be_hidden()
    page.get_by_role("button", name="Inject", exact=True).click()
    expect(page.locator("#faults-pending")).to_have_text("Next requests: sms_failed.")
    assert [fault and fault.kind.value for fault in fake.faults.pending] == ["sms_failed"]
    with pytest.raises(SmsNotSent):
        client.create_phone_switch(MOBILE)
    log = page.locator("#fault-log > li")
    expect(log).to_have_count(1)
    expect(log.first).to_contain_text("sms_failed")
    expect(log.first).to_contain_text(f"{MOBILE} · answered 400 · no SMS")
    expect(page.locator("#messages > li")).to_have_count(0)

    page.get_by_label("Kind").select_option("server_error_after")
    page.get_by_label("Status").fill("503")
    page.get_by_label("Next requests").fill("2")
    page.get_by_role("button", name="Inject", exact=True).click()
    expect(page.locator("#faults-pending")).to_contain_text(
        "server_error_after 503, server_error_after 503"
    )
    assert [(f and f.kind.value, f and f.status) for f in fake.faults.pending] == [
        ("server_error_after", 503)
    ] * 2
    page.get_by_role("button", name="Stop injecting").click()
    expect(page.locator("#faults-pending")).to_have_text("No fault scripted.")
    assert fake.faults.pending == []


def test_an_impossible_fault_is_refused(
    open_page: OpenPage, fake: FakeIntercom, console: Console
) -> None:
    page = live(open_page())
    page.get_by_label("Kind").select_option("server_error_before")
    status = page.get_by_label("Status")
    status.fill("404")
    page.get_by_role("button", name="Inject", exact=True).click()
    assert status.evaluate("input => input.validity.rangeUnderflow") is True  # the browser's check
    assert fake.faults.pending == []
    status.evaluate("input => input.removeAttribute('min')")  # past it: the fake's own check
    page.get_by_role("button", name="Inject", exact=True).click()
    expect(page.locator("#notice")).to_have_text(
        "Refused: a server error's status (5xx) must be in 500..599, not 404"
    )
    expect(page.locator("#notice")).to_have_class("notice failed")
    assert fake.faults.pending == []
    assert len(console.expected("status of 400 (Bad Request)")) == 1  # Chromium logs refusals


def test_markup_in_attributes_stays_inert_text(
    open_page: OpenPage, client: PhoneSwitchClient
) -> None:
    page = live(open_page())
    client.create_phone_switch(MOBILE, {SCRIPT: SCRIPT, "image": IMAGE})
    sms = card(page, MOBILE)
    expect(sms.locator(".chips li")).to_have_text([f"{SCRIPT} = {SCRIPT}", f"image = {IMAGE}"])
    sms.get_by_role("button", name=MOBILE).click()
    expect(page.locator("#detail-attributes")).to_contain_text(SCRIPT)
    page.keyboard.press("Escape")
    assert page.evaluate("window.pwned") is None
    assert page.locator("script").count() == 1  # the page's own
    assert page.locator("#messages img, #detail img, #contacts img").count() == 0


def test_the_messenger_page_of_a_real_send(
    open_page: OpenPage, client: PhoneSwitchClient, server: FakeServer
) -> None:
    switch = client.create_phone_switch(MOBILE, {"issue_type": "Billing", "markup": SCRIPT})
    assert switch.url.startswith(f"{server.url}/msgr/")
    page = open_page(switch.url.removeprefix(server.url), width=360)
    expect(page.locator(".bubble")).to_contain_text(MOBILE)
    attributes = page.locator("section").filter(has_text="Custom attributes of this SMS")
    expect(attributes.locator("dt")).to_have_text(["issue_type", "markup"])
    expect(attributes.locator("dd")).to_have_text(["Billing", SCRIPT])
    expect(page.get_by_role("heading", name="Hand-off")).to_be_visible()
    assert page.evaluate("window.pwned") is None
    page.screenshot(path=ARTIFACTS / "messenger-360-light.png", full_page=True)


def test_no_token_on_the_page(open_page: OpenPage, client: PhoneSwitchClient) -> None:
    client.create_phone_switch(MOBILE)
    page = live(open_page())
    expect(page.locator("#limits li")).to_have_count(1)
    expect(page.locator("#limits li strong")).to_have_text("token 1 …oken")
    assert DEFAULT_TOKEN not in page.content()


@pytest.mark.parametrize("scheme", ["light", "dark"])
@pytest.mark.parametrize("width", [1280, 360])
def test_screenshots_readable_at_360_px(
    open_page: OpenPage, client: PhoneSwitchClient, fake: FakeIntercom, width: int, scheme: str
) -> None:
    client.create_phone_switch(MOBILE, {"issue_type": "Billing", "since": "2023-03-04"})
    client.create_phone_switch(OTHER, {"note": SCRIPT}, version="2.13")
    fake.faults.script("sms_failed")
    with pytest.raises(SmsNotSent):
        client.create_phone_switch("+61412345678")
    page = live(open_page(width=width, scheme=scheme))
    expect(page.locator("#messages > li")).to_have_count(2)
    expect(page.locator("#fault-log > li")).to_have_count(1)
    overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 0, f"{overflow} px wider than the {width} px window"
    background = page.evaluate("getComputedStyle(document.body).backgroundColor")
    assert (background == "rgb(18, 20, 23)") == (scheme == "dark")
    shot = ARTIFACTS / f"outbox-{width}-{scheme}.png"
    page.screenshot(path=shot, full_page=True)
    assert shot.stat().st_size > 10_000
    card(page, OTHER).get_by_role("button", name=OTHER).click()
    expect(page.get_by_role("dialog")).to_be_visible()
    page.screenshot(path=ARTIFACTS / f"outbox-detail-{width}-{scheme}.png")
