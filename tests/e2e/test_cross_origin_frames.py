"""Words typed in an editor iframe from another origin, shown back by the work app around it.

The work app (tests/e2e/pages/hostile/xo-compose.html, on 127.0.0.1) embeds an editor
(tests/e2e/pages/hostile/xo-editor.html) served from another origin: localhost (another site, so
Chromium runs it in its own process) or another port of 127.0.0.1 (a second pages server). The
user types fresh words into the editor's contenteditable body, its textarea and its input,
presses Enter, and the editor posts them to the page, which puts them in its title, its path, its
hash route, a button's name and a button's id; the user clicks both buttons. The editor's origin
is a work app too, or not (a third-party editor): either way no typed word may reach the server,
the clicks must (or capture stopped and the test would prove nothing), and nothing is captured
from the editor's origin, nor from a frame between the two (tests/e2e/pages/hostile/xo-wrap.html).
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from urllib.parse import urlencode, urlsplit

import pytest

from tests.e2e.e2e_harness import wait_for
from tests.e2e.events_helpers import leaked_words, of_type, sent_events
from tests.e2e.popup_helpers import popup_for
from tests.e2e.test_hostile_pages import assert_frames_clean, fresh_word
from tests.e2e.test_label_policy import arrived, open_app, set_policy


@dataclass
class Layout:
    """Where the editor comes from, and what the work app's page is asked to do with its frame."""

    editor: str  # the editor frame's origin
    via: str | None = None  # the origin of a frame between the page and the editor
    params: dict | None = None

    def path(self) -> str:
        params = dict(self.params or {}, editor=self.editor)
        if self.via:
            params["via"] = self.via
        return "/hostile/xo-compose.html?" + urlencode(params)

    def frame_origins(self) -> list[str]:
        return [self.editor, *([self.via] if self.via else [])]


# How the page embeds the editor: plainly, from localhost; with referrerpolicy=no-referrer (a
# policy that may hide the work app from the frame's location.ancestorOrigins, which
# extension/content/frame-typing.js reads; Chromium 150 still lists it); with an editor that
# posts what was written on every input (the page's route changes with every key, before a word
# is finished); sandboxed (the frame's own origin is opaque); from another port of the work app's
# host (same site, other origin); inside a third party's frame from that other port; removed as
# soon as it posted (its answers to the service worker are gone with it); posting on every input,
# then busy for 600 ms in the same task (it answers the service worker late, about words typed
# before it asked); posting on every input, then busy from the next task for 600 ms (the page acts
# on the post while the frame cannot answer, so the service worker waits for it).
VARIANTS = {
    "plain": {},
    "no-referrer": {"referrer": "no-referrer"},
    "live": {"live": "1"},
    "sandboxed": {"sandbox": "allow-scripts"},
    "other-port": {"editor": "other-port"},
    "nested": {"via": "other-port"},
    "closed": {"close": "1"},
    "busy": {"live": "1", "busy": "600"},
    "stalled": {"live": "1", "stall": "600"},
}


def layout_of(variant: str, pages, other_pages) -> Layout:
    """The variant's layout: "other-port" stands for the second pages server's origin."""
    params = dict(VARIANTS[variant])
    editor = other_pages.origin if params.pop("editor", None) else localhost(pages)
    via = other_pages.origin if params.pop("via", None) else None
    return Layout(editor, via, params)


def localhost(pages) -> str:
    """The pages server under another host name: another site than 127.0.0.1."""
    return pages.origin.replace("127.0.0.1", "localhost")


def origin_of(url) -> str:
    parts = urlsplit(url or "")
    return f"{parts.scheme}://{parts.netloc}"


def type_in_editor_then_open_draft(page, layout: Layout) -> list[str]:
    """Type two words in the editor's body, one in its notes and one in its subject, press Enter,
    click the two buttons the page shows; return the words."""
    editor = page.frame_locator("#editor")
    if layout.via:
        editor = editor.frame_locator("#editor")
    words = type_draft(editor, page.keyboard)
    page.click("#open-draft")
    page.click(".send")
    return words


def type_draft(editor, keyboard) -> list[str]:
    """Type two words in the body of `editor` (a page or a frame locator), one in its notes and
    one in its subject, press Enter; return the words."""
    body, more, note, subject = fresh_word(), fresh_word(), fresh_word(), fresh_word()
    editor.locator("#body").click()
    keyboard.type(f"{body} {more}")
    editor.locator("#notes").click()
    keyboard.type(note)
    editor.locator("#subject").click()
    keyboard.type(subject)
    keyboard.press("Enter")
    return [body, more, note, subject]


def with_prefixes(words: list[str]) -> list[str]:
    """The words and their prefixes of six letters or more (a page may show a word being typed)."""
    return sorted({word[:n] for word in words for n in range(6, len(word) + 1)})


def check_nothing_leaked(capturing, pages, live_server, queued_events, layout, words) -> None:
    """The clicks arrived, on the page showing the words; no word, nor the start of one, in any
    frame sent or event accepted; nothing from the frames' origins."""
    words = with_prefixes(words)
    click = arrived(queued_events, "click", target__selector="#open-draft")[0]
    assert click["url"].startswith(pages.url("/hostile/xo-compose.html/[typed]#/drafts/"))
    assert click["title"].endswith(" - Compose")
    assert "[typed]" in click["title"]
    assert "[typed]" in click["url"].split("#", 1)[1]
    assert "[typed]" in click["target"]["label"]
    arrived(queued_events, "click", target__tag="button", target__label="Send")
    assert_frames_clean(capturing, live_server, words)
    accepted = queued_events()
    assert leaked_words(accepted, words) == []
    for event in [*sent_events(live_server), *accepted]:
        assert origin_of(event.get("url")) not in layout.frame_origins(), event


@pytest.mark.parametrize("variant", VARIANTS)
def test_editor_frame_from_another_work_origin(
    variant, capturing, pages, other_pages, admin, live_server, queued_events
):
    """(a) The editor's origin is in the policy's allowed origins as well."""
    layout = layout_of(variant, pages, other_pages)
    set_policy(admin, allowed_origins=[pages.origin, layout.editor])
    wait_for(
        lambda: layout.editor in capturing.gate().get("work_origins", []), 10, message="policy"
    )
    page = open_app(capturing, pages, queued_events, layout.path())
    words = type_in_editor_then_open_draft(page, layout)
    check_nothing_leaked(capturing, pages, live_server, queued_events, layout, words)


@pytest.mark.parametrize("variant", VARIANTS)
def test_third_party_editor_frame(
    variant, capturing, pages, other_pages, live_server, queued_events
):
    """(b) The editor's origin is not a work app (a third-party editor)."""
    layout = layout_of(variant, pages, other_pages)
    work = capturing.gate().get("work_origins", [])
    assert not set(layout.frame_origins()) & set(work)
    page = open_app(capturing, pages, queued_events, layout.path())
    words = type_in_editor_then_open_draft(page, layout)
    check_nothing_leaked(capturing, pages, live_server, queued_events, layout, words)


def route_changes_sent(live_server) -> list[dict]:
    """The route changes the extension sent that carry the editor's draft in their hash route."""
    return [
        event
        for event in sent_events(live_server)
        if event.get("type") == "route_change" and "#/drafts/" in event.get("url", "")
    ]


def test_a_pause_while_an_event_waits_for_the_frames_stops_it(
    capturing, pages, admin, live_server, queued_events
):
    """A route change that waits for a busy editor frame's typed words, while a pause arrives,
    is dropped: the gate is read again after the wait (extension/background/service-worker.js,
    onCapture), so nothing captured before a pause leaves the browser after it."""
    layout = Layout(localhost(pages), params={"live": "1", "stall": "900"})
    page = open_app(capturing, pages, queued_events, layout.path())
    notes = page.frame_locator("#editor").locator("#notes")
    # Without a pause, a key in the editor makes the page change its route, and that arrives.
    notes.click()
    page.keyboard.type("k")
    wait_for(lambda: len(route_changes_sent(live_server)) == 1, 10, message="route change")

    # With one: the editor posts the key, then stays busy for 900 ms (?stall), so the service
    # worker waits for its answer (up to 5 s) while the page's route change is held; the pause
    # is broadcast 200 ms into that wait. (A frame busy in the same task as its post, ?busy,
    # would not do: Chromium delivers the post after the busy task, when the frame can answer.)
    pause_ids = []
    pauser = threading.Timer(0.2, lambda: pause_ids.append(admin.pause("all", reason="Audit")))
    pauser.start()
    page.keyboard.type("q")
    pauser.join()
    wait_for(lambda: admin.pause_acks(pause_ids[0]), 10, message="pause_applied")
    time.sleep(1.5)  # past the frame's answer (900 ms), which ends the service worker's wait
    admin.resume(pause_ids[0])
    capturing.wait_for_status("capturing")
    page.click("#open-draft")
    arrived(queued_events, "click", target__selector="#open-draft")
    assert len(route_changes_sent(live_server)) == 1


def test_a_silent_editor_frame_stops_its_tab_until_it_answers(
    capturing, pages, live_server, queued_events
):
    """An editor frame busy for 8 s after a key: the route change the page made of the key waits
    5 s for the frame's typed words, then is dropped, not sent unvouched for, and so is anything
    the tab does while the frame stays silent (a click at 6 s); once the frame answers again,
    clicks arrive."""
    layout = Layout(localhost(pages), params={"live": "1", "stall": "8000"})
    page = open_app(capturing, pages, queued_events, layout.path())
    discarded = capturing.evaluate("globalThis.overt.counts()")["discarded"]
    page.frame_locator("#editor").locator("#notes").click()
    typed_at = time.time()  # the frame's 8 s start after this: it stalls once it has the key
    page.keyboard.type("k")
    page.wait_for_selector("#open-draft")
    time.sleep(max(0.0, typed_at + 6.0 - time.time()))
    page.click("#open-draft")
    time.sleep(max(0.0, typed_at + 8.5 - time.time()))

    def send_arrived() -> bool:  # clicked again until one arrives: the frame answers by then
        page.click(".send")
        time.sleep(0.5)
        return bool(of_type(queued_events(), "click", target__label="Send"))

    wait_for(send_arrived, 20, message="a click once the frame answers")
    start = typed_at * 1000
    silent = [e for e in sent_events(live_server) if start < e["ts"] < start + 8000]
    assert silent == []
    assert route_changes_sent(live_server) == []
    assert capturing.evaluate("globalThis.overt.counts()")["discarded"] > discarded
    popup = popup_for(capturing, page.url)  # the employee sees that something was not sent
    popup.wait_for_selector("#discarded:not([hidden])")
    assert popup.text_content("#discarded").startswith("Not sent: ")


def test_words_typed_in_a_frame_across_a_service_worker_restart(
    capturing, pages, live_server, queued_events
):
    """The service worker stops (as Chromium stops an idle one) while a word is being typed in a
    live editor frame; the restarted worker must still ask that frame before masking the page's
    events (it knows its typing frames from session storage, not from its memory), or the rest
    of the word, shown in the page's route, would leave unmasked."""
    layout = Layout(localhost(pages), params={"live": "1"})
    page = open_app(capturing, pages, queued_events, layout.path())
    word = fresh_word() + fresh_word()
    page.frame_locator("#editor").locator("#notes").click()
    page.keyboard.type(word[:4])
    wait_for(lambda: route_changes_sent(live_server), 10, message="route change")
    capturing.stop_service_workers(page)
    page.keyboard.type(word[4:])
    page.keyboard.press("Tab")  # the word is finished: the frame shares its hash
    page.click("#open-draft")
    arrived(queued_events, "click", target__selector="#open-draft")
    words = with_prefixes([word])
    assert_frames_clean(capturing, live_server, words)
    assert leaked_words(queued_events(), words) == []
