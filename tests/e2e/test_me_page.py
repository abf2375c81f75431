"""The "my data" page in real headless Chromium: sign-in link, toggles, export, erase + receipt.

No extension is needed: the test does what the popup does (POST /me/api/session with the device
token) and opens the link. Chromium and Playwright come from tests/e2e/conftest.py, which skips
with a loud reason when either is missing (and fails under CI).
"""

from __future__ import annotations

import json
import re
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from tests.conftest import WORK_ORIGIN
from tests.e2e.e2e_harness import CHROMIUM_ARGS
from tests.helpers import WSClient, http, make_event
from tests.integration.me_helpers import contributor, send
from tests.integration.storage import all_records

TIMEOUT_MS = 10_000


@pytest.fixture
def browser(playwright_instance, chromium_executable):
    """A plain headless Chromium (Debian's), closed after the test."""
    chromium = playwright_instance.chromium.launch(
        executable_path=chromium_executable, headless=True, args=list(CHROMIUM_ARGS)
    )
    yield chromium
    chromium.close()


@pytest.fixture
def alice(employee, live_server, run_workers):
    """alice with sealed clicks, next to bob with his own; returns alice's device token."""
    tokens = {}
    for name in ("alice", "bob"):
        tokens[name] = employee(name, "sales", ("clicks",))
        assert send(live_server, tokens[name], [make_event("click") for _ in range(3)])["accepted"]
    run_workers()
    return tokens["alice"]


def open_me(browser, live_server, token):
    """Do what the popup does: trade the token for a link and open it; return the page."""
    status, link = http("POST", live_server.http_url + "/me/api/session", token)
    assert status == 200
    page = browser.new_context(accept_downloads=True).new_page()
    page.set_default_timeout(TIMEOUT_MS)
    page.goto(link["url"])
    page.wait_for_selector("#content:not([hidden])")
    assert page.url == live_server.http_url + "/me"  # the one-time link left the address bar
    return page, link["url"]


def consent_of(admin, token) -> dict:
    return admin.call("GET", "/me/api/consent", token=token)["categories"]


def test_page_shows_my_data_and_toggles_change_consent(browser, live_server, admin, alice):
    """The page shows policy, counts and batches; each toggle changes consent at once."""
    page, _ = open_me(browser, live_server, alice)
    assert "alice" in page.text_content("#who")
    assert page.text_content("#purpose") == "Tests"
    assert "3 in sealed batches" in page.text_content("#totals")
    assert page.locator("#batch-table tbody tr").count() == 1
    assert contributor("alice") in page.text_content("#recent-records")
    assert contributor("bob") not in page.content()
    assert page.is_checked("#toggle-clicks") and not page.is_checked("#toggle-scroll")
    assert page.text_content("#work-apps") == WORK_ORIGIN
    assert page.text_content("#categories-on") == "Clicks"

    page.check("#toggle-scroll")
    page.wait_for_selector("#consent-message:has-text('Scrolling is on')")
    page.wait_for_selector("#categories-on:has-text('Scrolling')")
    assert consent_of(admin, alice)["scroll"] is True
    page.uncheck("#toggle-clicks")
    page.wait_for_selector("#consent-message:has-text('Clicks is off')")
    assert consent_of(admin, alice)["clicks"] is False
    # A selector, not wait_for_function: the page's CSP forbids the eval that polling would need.
    page.wait_for_selector("#ledger-table tbody tr:nth-child(3)")
    assert page.locator("#ledger-table tbody tr").count() == 3
    newest_first = page.locator("#ledger-table tbody tr").all_text_contents()
    assert "Clicks" in newest_first[0] and "Scrolling" in newest_first[1]


def test_export_downloads_my_data(browser, live_server, alice):
    """The export button downloads one JSON file with my records and nobody else's."""
    page, _ = open_me(browser, live_server, alice)
    with page.expect_download() as info:
        page.click("#export")
    download = info.value
    assert download.suggested_filename.startswith("overt-export-alice-")
    doc = json.loads(download.path().read_text())
    assert doc["employee"] == "alice"
    assert sum(len(b["records"]) for b in doc["sealed"]) == 3
    assert contributor("bob") not in json.dumps(doc)


def test_erase_asks_first_then_shows_the_receipt(
    browser, live_server, admin, settings, alice, work_jobs
):
    """Erase asks for confirmation (cancel keeps everything), then erases and shows the receipt.

    The receipt shows "in progress" until a worker has rewritten the sealed batches.
    """
    page, _ = open_me(browser, live_server, alice)
    page.click("#erase")
    assert page.is_visible("#erase-confirm")
    page.click("#erase-no")
    assert page.is_hidden("#erase-confirm")
    assert admin.call("GET", "/me/api/receipts", token=alice)["receipts"] == []

    page.click("#erase")
    page.click("#erase-yes")
    page.wait_for_selector("#receipt[data-status=pending]:not([hidden])")
    work_jobs()
    page.wait_for_selector("#receipt[data-status=completed]:not([hidden])")

    (receipt,) = admin.call("GET", "/me/api/receipts", token=alice)["receipts"]
    assert receipt["status"] == "completed"
    assert page.text_content("#receipt-id") == receipt["receipt_id"]
    assert page.text_content("#receipt-total") == "3"
    assert page.locator("#receipt-shards li").count() == 1
    records = all_records(settings)
    assert records and contributor("alice") not in {x["contributor"] for x in records}
    page.wait_for_selector("#totals:has-text('0 event(s)')")  # reloaded after the erasure
    assert page.inner_text("#actions").count(receipt["receipt_id"]) == 1, "listed once"
    assert page.is_hidden("#earlier-receipts")

    # A second erasure shows its own receipt; the first one is listed under earlier receipts.
    page.click("#erase")
    page.click("#erase-yes")
    page.wait_for_selector("#earlier-receipts:not([hidden])")
    second = page.text_content("#receipt-id")
    assert second != receipt["receipt_id"]
    actions = page.inner_text("#actions")
    assert actions.count(receipt["receipt_id"]) == 1 and actions.count(second) == 1


def test_a_used_link_does_not_sign_in_again(browser, live_server, alice):
    """Opening the same link a second time, elsewhere, shows how to get a new one instead."""
    _, url = open_me(browser, live_server, alice)
    page = browser.new_context().new_page()
    response = page.goto(url)
    assert response.status == 401
    assert page.is_visible("#signed-out") and page.is_hidden("#content")
    assert "expired" in page.text_content("#signed-out")


def test_privacy_signal_asks_before_turning_a_category_on(browser, live_server, admin, alice):
    """With GPC on the device, the page asks; "No" keeps the category off, "Yes" turns it on."""
    client = WSClient(live_server.ws_url)
    client.hello(alice, signals={"gpc": True, "dnt": False})
    client.close()
    page, _ = open_me(browser, live_server, alice)
    assert "Global Privacy Control" in page.text_content("#signals")

    page.click("#toggle-scroll")
    page.wait_for_selector("#confirm-signal[open]")
    page.click("#confirm-signal-no")
    page.wait_for_selector("#consent-message:has-text('Scrolling stays off')")
    assert consent_of(admin, alice)["scroll"] is False

    page.click("#toggle-scroll")
    page.click("#confirm-signal-yes")
    page.wait_for_selector("#consent-message:has-text('Scrolling is on')")
    assert consent_of(admin, alice)["scroll"] is True
    assert admin.call("GET", "/me/api/overview", token=alice)["ledger"][-1]["signals"]["gpc"]


def test_recent_events_are_a_table_in_my_local_time(
    playwright_instance, chromium_executable, live_server, alice
):
    """Recent events read as a table (time, type, page, target); no time is raw milliseconds."""
    chromium = playwright_instance.chromium.launch(
        executable_path=chromium_executable, headless=True, args=list(CHROMIUM_ARGS)
    )
    try:
        status, link = http("POST", live_server.http_url + "/me/api/session", alice)
        assert status == 200
        page = chromium.new_context(timezone_id="Asia/Tokyo", locale="en-GB").new_page()
        page.set_default_timeout(TIMEOUT_MS)
        page.goto(link["url"])
        page.wait_for_selector("#content:not([hidden])")
        rows = page.locator("#recent-table tbody tr")
        assert rows.count() == 3
        when, what, where, target, _, stage = rows.first.locator("td").all_text_contents()
        # As the dataset holds it: alice alone is fewer than min_contributors, so her words are
        # rare (docs/privacy.md, "Rare words").
        assert (what, where, target, stage) == (
            "Click",
            "https://app.example.com/[rare]",
            "[rare]",
            "in a sealed batch",
        )
        ts = http("GET", live_server.http_url + "/me/api/overview", alice)[1]["recent"][0]
        tokyo = datetime.fromtimestamp(ts["record"]["ts"] / 1000, ZoneInfo("Asia/Tokyo"))
        assert when == tokyo.strftime("%d/%m/%Y, %H:%M:%S")  # en-GB, in the viewer's zone
        assert "Asia/Tokyo" in page.text_content("#collected")
        visible = page.inner_text("main")
        assert not re.search(r"\b1\d{12}\b", visible), "no epoch milliseconds on screen"
        assert page.is_hidden("#recent-records"), "the raw JSON is folded away"
        page.click("#recent-raw summary")
        assert contributor("alice") in page.inner_text("#recent-records")
    finally:
        chromium.close()
