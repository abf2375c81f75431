"""Consent, checked in the browser: nothing for a category without it, withdrawal applies live."""

from __future__ import annotations

import time

from tests.e2e.e2e_harness import wait_for
from tests.e2e.events_helpers import of_type, sent_events

QUIET_WINDOW = 1.0


def test_category_without_consent_produces_nothing(
    live_server, enrolled, launch_browser, pages, queued_events
):
    """With only clicks consented, typing, scrolling, submits and navigation never leave."""
    token = enrolled(consent=("clicks",))
    browser = launch_browser(live_server.ws_url, token)
    browser.wait_until_capturing(pages.origin, ["clicks"])
    page = browser.open(pages.url("/app/home"))
    page.click("#name")
    wait_for(lambda: of_type(queued_events(), "click"), 10, message="first click")
    page.keyboard.type("some text")
    page.mouse.wheel(0, 2000)
    page.click("#go-settings")
    page.click("#send")
    page.goto(pages.url("/app/next"))  # leaving flushes pending typing and scroll windows
    page.click("#save")
    wait_for(
        lambda: of_type(queued_events(), "click", target__selector="#save"), 10, message="marker"
    )
    time.sleep(QUIET_WINDOW)
    assert {e["type"] for e in sent_events(live_server)} == {"click"}


def test_withdrawn_consent_stops_that_category_at_once(
    capturing, pages, admin, live_server, queued_events
):
    """Withdrawing clicks (a consent push) stops clicks while other categories continue."""
    page = capturing.open(pages.url("/app/home"))
    # The page view first: the content script is listening by then (a click before it is lost).
    wait_for(lambda: of_type(queued_events(), "page_view"), 10, message="page view")
    page.click("#save")
    wait_for(lambda: of_type(queued_events(), "click"), 10, message="click before withdrawal")
    others = {c: True for c in ("navigation", "forms", "scroll", "focus", "typing")}
    admin.set_consent(capturing.token, {"clicks": False, **others})
    wait_for(lambda: "clicks" not in capturing.gate()["categories"], 10, message="consent push")
    clicks_before = len(of_type(sent_events(live_server), "click"))
    page.click("#save")
    page.click("#go-settings")  # navigation is still consented: a marker that does arrive
    wait_for(lambda: of_type(queued_events(), "route_change"), 10, message="route change")
    time.sleep(QUIET_WINDOW)
    assert len(of_type(sent_events(live_server), "click")) == clicks_before
