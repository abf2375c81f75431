"""Each kind of event arrives from real Chromium with the fields of docs/protocol.md, no others."""

from __future__ import annotations

from tests.e2e.e2e_harness import type_into, wait_for
from tests.e2e.events_helpers import of_type, sent_events

# Every event also carries its episode: session, tab, page visit and the tab's step.
COMMON = {"id", "type", "ts", "url", "title", "session", "tab", "page", "step"}


def arrived(queued_events, kind, timeout=10.0, **match):
    """Wait until an accepted event of `kind` matching `match` is in Redis; return the first."""
    found = wait_for(
        lambda: of_type(queued_events(), kind, **match), timeout, message=f"{kind} {match}"
    )
    return found[0]


def open_page(browser, pages, queued_events, path):
    """Open a test page and wait for its page view: the content script is listening by then."""
    page = browser.open(pages.url(path))
    arrived(queued_events, "page_view", url=pages.url(path))
    return page


def test_page_view_then_spa_route_changes(capturing, pages, queued_events):
    """A page view on load, then route changes for pushState, replaceState, hash and back."""
    page = capturing.open(pages.url("/app/home"))
    home = pages.url("/app/home")
    view = arrived(queued_events, "page_view", url=home)
    assert set(view) <= COMMON | {"referrer"}
    assert view["title"] == "Work app"

    page.click("#go-settings")
    push = arrived(queued_events, "route_change", url=pages.url("/app/settings"))
    assert push["from"] == home
    assert set(push) <= COMMON | {"from"}

    page.click("#go-replace")
    arrived(
        queued_events,
        "route_change",
        url=pages.url("/app/replaced"),
        **{"from": pages.url("/app/settings")},
    )

    page.click("#go-hash")  # a hash route (#/inbox) is a route: kept, redacted like a path
    arrived(queued_events, "route_change", url=pages.url("/app/replaced#/inbox"))

    page.go_back()
    arrived(queued_events, "route_change", url=pages.url("/app/replaced"), timeout=10)
    assert len(of_type(queued_events(), "page_view")) == 1


def test_clicks_describe_the_target(capturing, pages, queued_events, live_server):
    """Clicks carry selector, tag, role and label; data-overt-ignore subtrees are skipped."""
    page = open_page(capturing, pages, queued_events, "/app/clicks")
    page.click("#ignored")
    page.click("#save")
    save = arrived(queued_events, "click", target__selector="#save")
    assert save["target"] == {
        "selector": "#save",
        "tag": "button",
        "role": "button",
        "label": "Save draft",
    }
    assert set(save) == COMMON | {"target"}

    page.click("[data-testid=archive]")
    archive = arrived(queued_events, "click", target__label="Archive")
    assert archive["target"]["selector"] == 'button[data-testid="archive"]'

    page.click(".plain")
    plain = arrived(queued_events, "click", target__label="Plain button")
    assert plain["target"]["selector"] == "#toolbar > button:nth-of-type(3)"

    labels = [e["target"].get("label") for e in of_type(sent_events(live_server), "click")]
    assert "Private button" not in labels


def test_submit_counts_fields_only(capturing, pages, queued_events):
    """A submit names the form and counts its fields (not hidden ones, not buttons)."""
    page = open_page(capturing, pages, queued_events, "/app/form")
    page.fill("#name", "Ann")
    page.click("#send")
    submit = arrived(queued_events, "submit")
    assert submit["target"]["selector"] == "#signup"
    assert submit["target"]["tag"] == "form"
    assert submit["fields"] == 3
    assert set(submit) == COMMON | {"target", "fields"}


def test_scroll_reports_maximum_depth(capturing, pages, queued_events):
    """Scrolling reports the deepest point reached, in percent, throttled."""
    page = open_page(capturing, pages, queued_events, "/app/scroll")
    page.mouse.wheel(0, 1200)
    first = arrived(queued_events, "scroll")
    assert 0 < first["depth"] < 100
    page.evaluate("window.scrollTo(0, document.documentElement.scrollHeight)")
    deepest = arrived(queued_events, "scroll", depth=100)
    assert set(deepest) == COMMON | {"depth", "y"}
    page.evaluate("window.scrollTo(0, 0)")
    page.mouse.wheel(0, 300)
    page.click("#save")  # a marker: anything sent before it has arrived by then
    arrived(queued_events, "click", target__selector="#save")
    assert len(of_type(queued_events(), "scroll")) <= 3


def test_typing_counts_input_events_only(capturing, pages, queued_events, live_server):
    """Typing is counted per field per window; no character, key or value is sent."""
    page = open_page(capturing, pages, queued_events, "/app/typing")
    type_into(page, "#notes", "quiet words")
    activity = arrived(queued_events, "input_activity", target__selector="#notes")
    assert activity["count"] == len("quiet words")
    assert set(activity) == COMMON | {"target", "count"}
    assert activity["target"]["tag"] == "textarea"
    assert not any("quiet" in frame for frame in live_server.frames)


def test_tab_focus_and_visibility(capturing, pages, queued_events):
    """Switching back to a tab records tab_focus; navigating within a tab is not "hidden".

    Headless Chromium keeps background tabs "visible", so only the navigation case is observable.
    """
    first = open_page(capturing, pages, queued_events, "/app/first")
    open_page(capturing, pages, queued_events, "/app/second")
    first.bring_to_front()
    focus = arrived(queued_events, "tab_focus", url=pages.url("/app/first"))
    assert set(focus) == COMMON
    first.goto(pages.url("/app/third"))
    arrived(queued_events, "page_view", url=pages.url("/app/third"))
    first.click("#save")  # a marker: anything the old page sent has arrived before it
    arrived(queued_events, "click", url=pages.url("/app/third"))
    assert of_type(queued_events(), "visibility", state="hidden") == []
