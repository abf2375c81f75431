"""Pages restored from Chromium's back-forward cache (Back or Forward to a page the browser kept
frozen instead of loading it again): no load, no new content script, yet a new visit of the page.

Playwright turns the cache off; these tests launch Chromium with it on (`launch_browser(...,
bfcache=True)`), as a browser outside tests has it, and check with the page's own `pageshow`
event that the page really was restored rather than loaded again.
"""

from __future__ import annotations

import pytest

from tests.e2e.e2e_harness import wait_for
from tests.e2e.events_helpers import of_type, sent_events
from tests.e2e.redteam import check_clean, token
from tests.e2e.test_capture import arrived

# Set by the page itself, so the test knows a page came back from the cache.
MARK_RESTORES = """() => window.addEventListener("pageshow", (ev) => {
    const marks = document.body.dataset;
    if (ev.persisted) marks.restored = String(Number(marks.restored || 0) + 1);
})"""


@pytest.fixture
def cached(live_server, enrolled, launch_browser, pages):
    """A capturing browser with the back-forward cache on."""
    browser = launch_browser(live_server.ws_url, enrolled(), bfcache=True)
    browser.wait_until_capturing(pages.origin)
    return browser


def leave_and_come_back(page, pages, queued_events, away: str) -> None:
    """Load `away` in `page`'s tab, then go Back: the page must come back from the cache."""
    page.evaluate(MARK_RESTORES)
    page.goto(pages.url(away))
    arrived(queued_events, "page_view", url=pages.url(away))
    back_from_cache(page)


def back_from_cache(page) -> None:
    """Go Back, and wait until the page (marked by MARK_RESTORES) is restored from the cache."""
    page.go_back(wait_until="commit")  # a restored page fires no load event
    wait_for(
        lambda: page.evaluate("document.body && document.body.dataset.restored") == "1",
        10,
        message="the page restored from the back-forward cache",
    )


def tab_events(live_server, tab: str) -> list[dict]:
    """The events of one tab as sent, in the tab's step order."""
    return sorted((e for e in sent_events(live_server) if e["tab"] == tab), key=lambda e: e["step"])


def test_back_to_a_cached_page_is_a_new_visit_with_its_page_view(
    cached, pages, queued_events, live_server
):
    """Back to a page restored from the cache sends its page view, as a new visit: the
    sequence of the tab reads home, clicks, home, and what is done there belongs to the new
    visit. Forward again does the same for the other page."""
    home, away = pages.url("/app/home"), pages.url("/app/clicks")
    page = cached.open(home)
    first = arrived(queued_events, "page_view", url=home)
    page.click("#save")
    arrived(queued_events, "click", target__selector="#save")

    leave_and_come_back(page, pages, queued_events, "/app/clicks")
    views = wait_for(
        lambda: (v := of_type(queued_events(), "page_view", url=home))[1:] and v,
        10,
        message="a page view of the restored page",
    )
    back = views[1]
    assert back["page"] != first["page"]
    assert back["tab"] == first["tab"] and back["session"] == first["session"]
    assert back["title"] == "Work app"

    page.click("[data-testid=archive]")
    archive = arrived(queued_events, "click", target__label="Archive")
    assert archive["page"] == back["page"]

    page.go_forward(wait_until="commit")
    wait_for(
        lambda: len(of_type(queued_events(), "page_view", url=away)) == 2,
        10,
        message="a page view of the page restored by Forward",
    )
    wait_for(lambda: cached.outbox_size() == 0, 10, message="outbox drained")
    sequence = [
        (e["type"], e["url"])
        for e in tab_events(live_server, first["tab"])
        if e["type"] in ("page_view", "click", "visibility")
    ]
    assert sequence == [
        ("page_view", home),
        ("click", home),
        ("page_view", away),
        ("page_view", home),
        ("click", home),
        ("page_view", away),
    ], sequence
    steps = [e["step"] for e in tab_events(live_server, first["tab"])]
    assert steps == sorted(set(steps)), steps  # one step each, none twice


def test_a_pause_that_began_while_the_page_was_cached_holds_when_it_comes_back(
    cached, admin, pages, queued_events, live_server
):
    """Paused while the page waited in the cache: back on it, nothing is captured (no page
    view, no click) until the pause ends; then its page view is sent."""
    home = pages.url("/app/home")
    page = cached.open(home)
    arrived(queued_events, "page_view", url=home)
    page.evaluate(MARK_RESTORES)
    page.goto(pages.url("/app/clicks"))
    arrived(queued_events, "page_view", url=pages.url("/app/clicks"))

    pause_id = admin.pause("all", reason="Legal hold")
    cached.wait_for_status("paused_admin")
    back_from_cache(page)
    page.click("#save")
    page.click("[data-testid=archive]")
    page.wait_for_timeout(1500)  # time for anything captured to be handed over and sent
    assert of_type(sent_events(live_server), "click") == []
    assert len(of_type(sent_events(live_server), "page_view", url=home)) == 1
    assert cached.outbox_size() == 0  # nothing captured and held back either

    admin.resume(pause_id)
    cached.wait_for_status("capturing")
    wait_for(
        lambda: len(of_type(queued_events(), "page_view", url=home)) == 2,
        10,
        message="the page view once the pause ended",
    )
    page.click("#save")
    arrived(queued_events, "click", target__selector="#save")


def test_words_typed_on_the_other_page_and_shown_on_the_restored_one_stay_masked(
    cached, pages, queued_events, live_server
):
    """The app keeps a draft typed on the page left (localStorage) and the restored page shows
    it in its title and a button's name as it comes back (its own `pageshow` listener, which runs
    before the extension's): the restored page's page view and click carry [typed]."""
    word = token()
    home = pages.url("/app/home")
    page = cached.open(home)
    arrived(queued_events, "page_view", url=home)
    page.evaluate(
        """() => window.addEventListener("pageshow", (ev) => {
            const draft = localStorage.getItem("draft");
            if (ev.persisted && draft) {
                document.title = "Draft " + draft;
                document.getElementById("save").setAttribute("aria-label", "Save " + draft);
            }
        })"""
    )
    page.evaluate(MARK_RESTORES)
    page.goto(pages.url("/app/clicks"))
    arrived(queued_events, "page_view", url=pages.url("/app/clicks"))
    page.evaluate(
        """() => document.getElementById("notes").addEventListener("input", (ev) =>
            localStorage.setItem("draft", ev.target.value))"""
    )
    page.click("#notes")
    page.keyboard.type(f"{word} ")
    back_from_cache(page)
    assert word in page.title()
    views = wait_for(
        lambda: (v := of_type(queued_events(), "page_view", url=home))[1:] and v,
        10,
        message="a page view of the restored page",
    )
    page.click("#save")
    click = arrived(queued_events, "click", target__selector="#save")
    assert views[1]["title"] == "Draft [typed]"
    assert click["target"]["label"] == "Save [typed]"
    check_clean(cached, live_server, [word])
