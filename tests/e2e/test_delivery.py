"""Delivery: nothing captured while the backend is away is lost; a stopped worker wakes."""

from __future__ import annotations

import time

from tests.e2e.e2e_harness import wait_for
from tests.e2e.events_helpers import of_type, sent_frames


def click_ids(queued_events, selector: str) -> set[str]:
    return {e["id"] for e in of_type(queued_events(), "click", target__selector=selector)}


def test_backend_away_and_back_loses_nothing(capturing, pages, live_server, queued_events):
    """Clicks made while the backend is down are kept in the outbox and delivered once, after."""
    page = capturing.open(pages.url("/app/home"))
    wait_for(lambda: of_type(queued_events(), "page_view"), 10, message="page view")

    live_server.stop()
    wait_for(lambda: capturing.evaluate("globalThis.overt.state.connected") is False, 10)
    for _ in range(5):
        page.click("#save")
    page.click("[data-testid=archive]")
    wait_for(lambda: capturing.outbox_size() >= 6, 10, message="clicks kept in the outbox")
    assert capturing.gate()["status"] == "capturing"  # within the grace period
    assert click_ids(queued_events, "#save") == set()

    live_server.start()
    wait_for(lambda: len(click_ids(queued_events, "#save")) == 5, 20, message="resent clicks")
    wait_for(lambda: capturing.outbox_size() == 0, 10, message="outbox drained by acks")
    archive = 'button[data-testid="archive"]'
    assert len(click_ids(queued_events, archive)) == 1


def test_stopped_worker_is_woken_by_the_next_event(capturing, pages, live_server, queued_events):
    """After Chromium stops the worker, the next event wakes it; it reconnects and delivers."""
    page = capturing.open(pages.url("/app/home"))
    wait_for(lambda: of_type(queued_events(), "page_view"), 10, message="page view")
    hellos = len(sent_frames(live_server, "hello"))
    capturing.stop_service_workers(page)
    page.click("#save")
    wait_for(lambda: click_ids(queued_events, "#save"), 15, message="click after restart")
    assert len(sent_frames(live_server, "hello")) == hellos + 1


def test_refused_token_is_shown_and_not_retried(live_server, enrolled, launch_browser, pages):
    """A bad token closes with 1008: the popup says so and the extension does not hot-loop."""
    enrolled()
    browser = launch_browser(live_server.ws_url, "ovt_not-a-real-token")
    browser.wait_for_status("bad_token")
    time.sleep(1.5)  # a reconnect loop would show several hellos within this window
    assert len(sent_frames(live_server, "hello")) == 1


def test_fails_closed_after_the_grace_period(
    live_server, enrolled, launch_browser, pages, queued_events
):
    """Without contact for longer than the grace period capture stops, until the server is back."""
    token = enrolled()
    browser = launch_browser(live_server.ws_url, token, grace_seconds=2)
    browser.wait_until_capturing(pages.origin, ["clicks"])
    page = browser.open(pages.url("/app/home"))
    wait_for(lambda: of_type(queued_events(), "page_view"), 10, message="page view")

    live_server.stop()
    browser.wait_for_status("disconnected", timeout=10)
    page.click("#save")
    time.sleep(0.5)
    assert browser.outbox_size() == 0

    live_server.start()
    browser.wait_for_status("capturing", timeout=15)
    page.click("#save")
    wait_for(lambda: click_ids(queued_events, "#save"), 10, message="click after contact")
    assert len(click_ids(queued_events, "#save")) == 1


def test_full_outbox_drops_oldest_and_reports_it(
    live_server, enrolled, launch_browser, pages, queued_events
):
    """Overflow keeps the newest events, and the next hello tells the server how many were lost."""
    token = enrolled(consent=("clicks",))
    browser = launch_browser(live_server.ws_url, token, outbox_max_events=3)
    browser.wait_until_capturing(pages.origin, ["clicks"])
    page = browser.open(pages.url("/app/home"))
    page.click("#go-settings")  # a click, and the content script is surely listening after it
    wait_for(lambda: of_type(queued_events(), "click"), 10, message="first click")

    live_server.stop()
    wait_for(lambda: browser.evaluate("globalThis.overt.state.connected") is False, 10)
    page.click("#name")
    page.click("#email")
    for _ in range(3):
        page.click("#save")
    wait_for(lambda: browser.evaluate("globalThis.overt.outbox().dropped") == 2, 10)
    assert browser.outbox_size() == 3

    live_server.start()
    wait_for(lambda: len(click_ids(queued_events, "#save")) == 3, 20, message="newest kept")
    assert sent_frames(live_server, "hello")[-1]["dropped"] == 2
    assert click_ids(queued_events, "#name") == click_ids(queued_events, "#email") == set()
