"""Words typed in an editor iframe from another origin, shown back by the work app around it.

The work app (tests/e2e/pages/hostile/xo-compose.html, on 127.0.0.1) embeds an editor served from
localhost (tests/e2e/pages/hostile/xo-editor.html): another site, so Chromium runs it in its own
process. The user types fresh words into the editor's contenteditable body and its input, presses
Enter, and the editor posts them to the page, which puts them in its title, its hash route and a
button's name; the user clicks that button. The editor's origin is a work app too, or not (a
third-party editor): either way no typed word may reach the server, the click must (or capture
stopped and the test would prove nothing), and nothing is captured from a non-work origin.
"""

from __future__ import annotations

from urllib.parse import urlsplit

import pytest

from tests.e2e.e2e_harness import wait_for
from tests.e2e.events_helpers import leaked_words, sent_events
from tests.e2e.test_hostile_pages import assert_frames_clean, fresh_word
from tests.e2e.test_label_policy import arrived, open_app, set_policy


def editor_origin(pages) -> str:
    """The editor frame's origin: the pages server under another host name."""
    return pages.origin.replace("127.0.0.1", "localhost")


def origin_of(url) -> str:
    parts = urlsplit(url or "")
    return f"{parts.scheme}://{parts.netloc}"


# How the page embeds the editor: plainly; with referrerpolicy=no-referrer (a policy that may hide
# the work app from the frame's location.ancestorOrigins, which extension/content/frame-typing.js
# reads; Chromium 150 still lists it); with an editor that posts what was written on every input
# (the hash route changes with every key, before a word is finished).
VARIANTS = {
    "plain": "",
    "no-referrer": "?referrer=no-referrer",
    "live": "?live=1",
}


def type_in_editor_then_open_draft(page) -> list[str]:
    """Type two words in the editor's body and one in its subject, press Enter, click the draft
    the page shows; return the words."""
    body, more, subject = fresh_word(), fresh_word(), fresh_word()
    editor = page.frame_locator("#editor")
    editor.locator("#body").click()
    page.keyboard.type(f"{body} {more}")
    editor.locator("#subject").click()
    page.keyboard.type(subject)
    page.keyboard.press("Enter")
    page.click("#open-draft")
    return [body, more, subject]


def with_prefixes(words: list[str]) -> list[str]:
    """The words and their prefixes of six letters or more (a page may show a word being typed)."""
    return sorted({word[:n] for word in words for n in range(6, len(word) + 1)})


def check_nothing_leaked(capturing, pages, live_server, queued_events, words) -> dict:
    """The click arrived; no word, nor the start of one, in any frame sent or event accepted;
    nothing from the editor's origin."""
    words = with_prefixes(words)
    click = arrived(queued_events, "click", target__selector="#open-draft")[0]
    assert click["url"].startswith(pages.url("/hostile/xo-compose.html"))
    assert "#/drafts/" in click["url"]
    assert click["title"].endswith(" - Compose")
    assert "[typed]" in click["title"]
    assert "[typed]" in click["url"]
    assert "[typed]" in click["target"]["label"]
    assert_frames_clean(capturing, live_server, words)
    accepted = queued_events()
    assert leaked_words(accepted, words) == []
    frame = editor_origin(pages)
    for event in [*sent_events(live_server), *accepted]:
        assert origin_of(event.get("url")) != frame, event
    return click


@pytest.mark.parametrize("variant", VARIANTS)
def test_editor_frame_from_another_work_origin(
    variant, capturing, pages, admin, live_server, queued_events
):
    """(a) The editor's origin is in the policy's allowed origins as well."""
    frame = editor_origin(pages)
    set_policy(admin, allowed_origins=[pages.origin, frame])
    wait_for(lambda: frame in capturing.gate().get("work_origins", []), 10, message="policy")
    page = open_app(capturing, pages, queued_events, "/hostile/xo-compose.html" + VARIANTS[variant])
    words = type_in_editor_then_open_draft(page)
    check_nothing_leaked(capturing, pages, live_server, queued_events, words)


@pytest.mark.parametrize("variant", VARIANTS)
def test_third_party_editor_frame(variant, capturing, pages, live_server, queued_events):
    """(b) The editor's origin is not a work app (a third-party editor)."""
    assert editor_origin(pages) not in capturing.gate().get("work_origins", [])
    page = open_app(capturing, pages, queued_events, "/hostile/xo-compose.html" + VARIANTS[variant])
    words = type_in_editor_then_open_draft(page)
    check_nothing_leaked(capturing, pages, live_server, queued_events, words)
