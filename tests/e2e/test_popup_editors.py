"""Words typed in a pop-up compose window, shown back by the work app's tab that opened it.

The work app (tests/e2e/pages/hostile/xo-compose.html?popup=1, on 127.0.0.1) opens its editor
(tests/e2e/pages/hostile/xo-editor.html) in a pop-up window, as a pop-out compose window does. The
editor posts what is written to its opener on every input (?live=1), or on Enter, and the opener
shows it in its title, its path, its hash route, a button's name and a button's id: so the
opener's route changes with every key, before a word is finished, while the words are typed in
another tab. The editor is the work app itself, another work app, or a third party's page; or a
tab of the app opened on its own, which tells the others through a BroadcastChannel. No
typed word, nor the start of one, may reach the server; the clicks on the opener must (or capture
stopped and the test would prove nothing).
"""

from __future__ import annotations

import time
from urllib.parse import urlencode

import pytest

from tests.e2e.e2e_harness import wait_for
from tests.e2e.events_helpers import leaked_words, of_type, sent_events
from tests.e2e.popup_helpers import popup_for
from tests.e2e.test_cross_origin_frames import localhost, origin_of, type_draft, with_prefixes
from tests.e2e.test_hostile_pages import assert_frames_clean, fresh_word
from tests.e2e.test_label_policy import arrived, open_app, set_policy

# Where the pop-up's editor comes from (the work app's own origin, another work app's, or a
# third party's: localhost, another site), whether it posts on every input or on Enter only, and
# whether the pop-up holds it in a frame of its own origin (tests/e2e/pages/hostile/xo-wrap.html,
# as a rich-text editor's iframe).
VARIANTS = {
    "same-origin-live": ("same", True, False),
    "same-origin-on-enter": ("same", False, False),
    "other-work-app-live": ("other", True, False),
    "third-party-live": ("third-party", True, False),
    "same-origin-framed-live": ("same", True, True),
    "third-party-framed-live": ("third-party", True, True),
}


def editor_origin(where: str, pages, other_pages) -> str:
    return {"same": pages.origin, "other": other_pages.origin}.get(where) or localhost(pages)


def typing_tabs(capturing) -> dict:
    """The tabs whose top document said it is typed in (extension/background/typed-store.js)."""
    return capturing.evaluate(
        "chrome.storage.session.get('overt.typingTabs').then(g => g['overt.typingTabs'] || {})"
    )


def open_editor(capturing, page, framed: bool = False):
    """Click "Compose in a new window" and return the pop-up, once its editor's content script
    watches typing."""
    with page.expect_popup() as opened:
        page.click("#open-editor")
    popup = opened.value
    popup.wait_for_load_state()
    return watching(capturing, popup, framed)


def watching(capturing, popup, framed: bool = False):
    """Return `popup` once the content script of its editor (in a frame of it when `framed`)
    watches typing: a key pressed there makes it tell the service worker so."""
    before = set(typing_tabs(capturing))

    def registered() -> bool:
        editor_of(popup, framed).locator("#subject").click()
        popup.keyboard.press("Shift")  # a key, but no input: nothing is posted to the opener
        return bool(set(typing_tabs(capturing)) - before)

    wait_for(registered, 10, message="the editor's content script watching typing")
    return popup


def editor_of(popup, framed: bool):
    """What holds the editor's fields: the pop-up, or the frame in it."""
    return popup.frame_locator("#editor") if framed else popup


def type_in_editor(popup, framed: bool = False) -> list[str]:
    """Type a draft in the editor (test_cross_origin_frames.type_draft); return its words."""
    return type_draft(editor_of(popup, framed), popup.keyboard)


@pytest.mark.parametrize("variant", VARIANTS)
def test_words_typed_in_a_popup_compose_window(
    variant, capturing, pages, other_pages, admin, live_server, queued_events
):
    where, live, framed = VARIANTS[variant]
    editor = editor_origin(where, pages, other_pages)
    if where == "other":
        set_policy(admin, allowed_origins=[pages.origin, editor])
        wait_for(lambda: editor in capturing.gate().get("work_origins", []), 10, message="policy")
    params = {"popup": "1", "editor": editor, **({"live": "1"} if live else {})}
    if framed:  # the pop-up is the editor's own origin's page, the editor a frame in it
        params["via"] = editor
    path = "/hostile/xo-compose.html?" + urlencode(params)
    page = open_app(capturing, pages, queued_events, path)
    popup = open_editor(capturing, page, framed)
    words = type_in_editor(popup, framed)
    check_masked_on(page, words, capturing, pages, live_server, queued_events)
    if where == "third-party":  # its words are learnt, but nothing is captured there
        for event in [*sent_events(live_server), *queued_events()]:
            assert origin_of(event.get("url")) != editor, event


def test_words_typed_in_another_tab_of_the_app(capturing, pages, live_server, queued_events):
    """The editor is a tab of the app opened on its own, and tells the compose tab what is
    written on every input through a BroadcastChannel: no opener, no frame between the two."""
    channel = "drafts-" + fresh_word()
    page = open_app(capturing, pages, queued_events, f"/hostile/xo-compose.html?channel={channel}")
    editor = capturing.open(pages.url(f"/hostile/xo-editor.html?channel={channel}&live=1"))
    words = type_in_editor(watching(capturing, editor))
    check_masked_on(page, words, capturing, pages, live_server, queued_events)


def check_masked_on(page, words, capturing, pages, live_server, queued_events) -> None:
    """Click the two buttons the compose page shows: the clicks arrive, on the page showing the
    words masked; no word, nor the start of one, in any frame sent or event accepted."""
    page.click("#open-draft")
    page.click(".send")
    click = arrived(queued_events, "click", target__selector="#open-draft")[0]
    assert click["url"].startswith(pages.url("/hostile/xo-compose.html/[typed]"))
    assert "[typed]" in click["url"].split("#", 1)[1]
    assert "[typed]" in click["title"]
    assert "[typed]" in click["target"]["label"]
    arrived(queued_events, "click", target__tag="button", target__label="Send")
    words = with_prefixes(words)
    assert_frames_clean(capturing, live_server, words)
    assert leaked_words(queued_events(), words) == []


def test_words_typed_in_a_popup_across_a_service_worker_restart(
    capturing, pages, live_server, queued_events
):
    """The service worker stops (as Chromium stops an idle one) while a word is being typed in
    a live pop-up editor; the restarted worker must still ask the pop-up before masking the
    opener's events (it knows the tabs typed in from session storage, not from its memory), or
    the rest of the word, shown in the opener's route, would leave unmasked."""
    params = {"popup": "1", "editor": pages.origin, "live": "1"}
    page = open_app(
        capturing, pages, queued_events, "/hostile/xo-compose.html?" + urlencode(params)
    )
    popup = open_editor(capturing, page)
    word = fresh_word() + fresh_word()
    popup.locator("#notes").click()
    popup.keyboard.type(word[:4])
    capturing.stop_service_workers(page)
    popup.keyboard.type(word[4:])
    popup.keyboard.press("Tab")  # the word is finished: the pop-up shares its hash
    check_masked_notes(page, [word], capturing, live_server, queued_events)


def check_masked_notes(page, words, capturing, live_server, queued_events) -> None:
    """The draft's button is clicked and arrives; no word, nor the start of one, was sent."""
    page.click("#open-draft")
    arrived(queued_events, "click", target__selector="#open-draft")
    words = with_prefixes(words)
    assert_frames_clean(capturing, live_server, words)
    assert leaked_words(queued_events(), words) == []


def test_a_silent_popup_stops_the_other_tabs_until_it_answers(
    capturing, pages, live_server, queued_events
):
    """A pop-up editor busy for 8 s after a key: the route change its opener made of the key
    waits 5 s for the pop-up's typed words, then is dropped, not sent unvouched for, and so is
    anything the opener does while the pop-up stays silent (a click at 6 s); once the pop-up
    answers again, clicks arrive, and the employee sees that something was not sent."""
    # From another site, so in a renderer process of its own: the opener is not stalled with it.
    params = {"popup": "1", "editor": localhost(pages), "live": "1", "stall": "8000"}
    page = open_app(
        capturing, pages, queued_events, "/hostile/xo-compose.html?" + urlencode(params)
    )
    popup = open_editor(capturing, page)
    discarded = capturing.evaluate("globalThis.overt.counts()")["discarded"]
    popup.locator("#notes").click()
    typed_at = time.time()  # the pop-up's 8 s start after this: it stalls once it has the key
    popup.keyboard.type("k")
    page.wait_for_selector("#open-draft")
    time.sleep(max(0.0, typed_at + 6.0 - time.time()))
    page.click("#open-draft")
    time.sleep(max(0.0, typed_at + 8.5 - time.time()))

    def send_arrived() -> bool:  # clicked again until one arrives: the pop-up answers by then
        page.click(".send")
        time.sleep(0.5)
        return bool(of_type(queued_events(), "click", target__label="Send"))

    wait_for(send_arrived, 20, message="a click once the pop-up answers")
    start, compose = typed_at * 1000, pages.url("/hostile/xo-compose.html")
    from_opener = [e for e in sent_events(live_server) if e["url"].startswith(compose)]
    assert [e for e in from_opener if start < e["ts"] < start + 8000] == []
    assert [e for e in from_opener if e["type"] == "route_change" and "#/drafts/" in e["url"]] == []
    # Counted as not sent: the route change and the click at 6 s, each once its wait ended. Under
    # load Chromium may run the opener in the pop-up's stalled renderer after all: the click then
    # happens once the pop-up answers (after the silent window) and is sent, not counted.
    clicked_late = of_type(from_opener, "click", target__selector="#open-draft")
    expected = 1 if clicked_late else 2

    def counted() -> int:
        return capturing.evaluate("globalThis.overt.counts()")["discarded"] - discarded

    wait_for(lambda: counted() >= expected, 15, message=f"{expected} events counted as not sent")
    time.sleep(1)
    assert counted() == expected
    status = popup_for(capturing, page.url)
    status.wait_for_selector("#discarded:not([hidden])")
    assert status.text_content("#discarded").startswith("Not sent: ")
