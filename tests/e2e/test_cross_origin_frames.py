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

from dataclasses import dataclass
from urllib.parse import urlencode, urlsplit

import pytest

from tests.e2e.e2e_harness import PagesServer, wait_for
from tests.e2e.events_helpers import leaked_words, sent_events
from tests.e2e.test_hostile_pages import assert_frames_clean, fresh_word
from tests.e2e.test_label_policy import arrived, open_app, set_policy


@pytest.fixture(scope="module")
def other_pages():
    """The same test pages on another port of 127.0.0.1: another origin of the same site."""
    server = PagesServer()
    yield server
    server.close()


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
# then busy for 600 ms (it answers the service worker late, about words typed before it asked).
VARIANTS = {
    "plain": {},
    "no-referrer": {"referrer": "no-referrer"},
    "live": {"live": "1"},
    "sandboxed": {"sandbox": "allow-scripts"},
    "other-port": {"editor": "other-port"},
    "nested": {"via": "other-port"},
    "closed": {"close": "1"},
    "busy": {"live": "1", "busy": "600"},
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
    body, more, note, subject = fresh_word(), fresh_word(), fresh_word(), fresh_word()
    editor = page.frame_locator("#editor")
    if layout.via:
        editor = editor.frame_locator("#editor")
    editor.locator("#body").click()
    page.keyboard.type(f"{body} {more}")
    editor.locator("#notes").click()
    page.keyboard.type(note)
    editor.locator("#subject").click()
    page.keyboard.type(subject)
    page.keyboard.press("Enter")
    page.click("#open-draft")
    page.click(".send")
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
