"""Hostile pages: apps that try to carry what was typed, or a data region's text, out of the
browser.

Each test types fresh random words (or opens names a data region holds), lets the page show them
back in a way the other e2e pages do not (an encoded path in the title, a slug without accents, a
field emptied before the document's listeners run, a frame, a closed shadow root, aria-labelledby
into a data region, a camel-case test id), then searches every frame the server received for each
word, case-insensitively.
"""

from __future__ import annotations

import secrets

from tests.e2e.e2e_harness import type_into, wait_for
from tests.e2e.events_helpers import leaked_words, of_type
from tests.e2e.test_label_policy import arrived, open_app, set_policy

SYLLABLES = ("ka", "ve", "lo", "tri", "mu", "zan", "qo", "per", "ix", "do", "bre", "sul")


def fresh_word() -> str:
    """A random word no page, label or UI text holds (five syllables)."""
    return "".join(secrets.choice(SYLLABLES) for _ in range(5))


def assert_frames_clean(browser, live_server, words) -> None:
    """Wait until the outbox is empty, then: no word in any frame the server received."""
    wait_for(lambda: browser.outbox_size() == 0, 10, message="outbox drained")
    assert leaked_words(live_server.frames, words) == []


def test_typed_words_reshaped_in_the_path_title_and_slug(
    capturing, pages, live_server, queued_events
):
    """A search in the path and in the title still percent-encoded, a name slugged without its
    accents: both stay masked."""
    first, second, third = fresh_word(), fresh_word(), fresh_word()
    accented = first[:2] + "é" + first[2:]
    page = open_app(capturing, pages, queued_events, "/hostile/people.html")
    type_into(page, "#q", f"{second} {third}", enter=True)
    page.click("#refresh")
    click = arrived(queued_events, "click", target__selector="#refresh")[0]
    assert click["title"] == "[typed] - People"
    assert click["url"] == pages.url("/hostile/people/[typed]")
    type_into(page, "#name", f"{accented} {second}ö", enter=True)
    page.click("#refresh")
    click = arrived(queued_events, "click", target__label="Refresh [typed]")[0]
    assert click["title"] == "[typed] - People"
    slugged = accented.replace("é", "e")
    assert_frames_clean(capturing, live_server, [slugged, accented, second, third])


def test_field_emptied_before_the_document_sees_it(capturing, pages, live_server, queued_events):
    """A page whose window-level listeners empty the field first still gets its words masked."""
    note, tag = fresh_word(), fresh_word()
    page = open_app(capturing, pages, queued_events, "/hostile/window-capture.html")
    type_into(page, "#note", note, enter=True)
    type_into(page, "#tags", tag + ",")
    page.click("#chips .chip")
    page.click("#done")
    done = arrived(queued_events, "click", target__selector="#done")[0]
    assert done["title"] == "Noted: [typed]"
    chip = arrived(queued_events, "click", target__tag="button", target__label="Remove [typed]")
    assert chip
    assert_frames_clean(capturing, live_server, [note, tag])


def test_typed_in_same_origin_frames(capturing, pages, live_server, queued_events):
    """Words typed in a same-origin frame (an editor) are masked when the page around shows them."""
    body, subject = fresh_word(), fresh_word()
    page = open_app(capturing, pages, queued_events, "/hostile/frame-editor.html")
    editor = page.frame_locator("#editor").locator("body")
    editor.click()
    page.keyboard.type(body)
    page.frame_locator("#subject-frame").locator("#subject").click()
    page.keyboard.type(subject)
    page.click("#publish")
    page.click("#publish")
    wait_for(lambda: len(of_type(queued_events(), "click", target__selector="#publish")) == 2, 10)
    clicks = of_type(queued_events(), "click", target__selector="#publish")
    assert clicks[1]["title"] == "[typed] - Compose"
    assert clicks[1]["target"]["label"] == "Publish [typed]"
    assert_frames_clean(capturing, live_server, [body, subject])


def test_typed_in_a_closed_shadow_root(capturing, pages, live_server, queued_events):
    """Words typed in a closed shadow root's field are masked in the title and labels."""
    first, second = fresh_word(), fresh_word()
    page = open_app(capturing, pages, queued_events, "/hostile/shadow.html")
    page.click("#search")
    page.keyboard.type(f"{first} {second}")
    page.keyboard.press("Enter")
    page.click("#again")
    again = arrived(queued_events, "click", target__selector="#again")[0]
    assert again["title"] == "[typed] - Widgets"
    assert again["target"]["label"] == "Search again for [typed]"
    assert_frames_clean(capturing, live_server, [first, second])


def test_labelledby_into_data_regions(capturing, pages, admin, live_server, queued_events):
    """Names referenced from a table, a list, a masked or an ignored element never become labels."""
    set_policy(admin, mask_selectors=[".private"], min_contributors=1)
    wait_for(lambda: capturing.gate().get("mask_selectors"), 10, message="policy pushed")
    page = open_app(capturing, pages, queued_events, "/hostile/labelledby.html")
    for selector in ("#email", "#call", "#visit", "#open", "#follow"):
        page.click(selector)
    arrived(queued_events, "click", target__selector="#follow")
    emails = arrived(queued_events, "click", target__selector="#email")
    assert emails[0]["target"]["label"] == "[content]"
    names = ["Vantablack", "Quenneville", "Marchbanks", "Wolstenholme", "Featherstonehaugh"]
    assert_frames_clean(capturing, live_server, names)


def test_camel_case_test_id_from_typed_words(capturing, pages, live_server, queued_events):
    """A test id built from typed words in camel case is not used as a selector."""
    first, second = fresh_word(), fresh_word()
    page = open_app(capturing, pages, queued_events, "/hostile/cards.html")
    type_into(page, "#title", f"{first} {second}", enter=True)
    page.click(".card button")
    click = arrived(queued_events, "click", target__label="Archive")[0]
    assert "testid" not in click["target"]["selector"]
    assert_frames_clean(capturing, live_server, [first, second])


def test_typed_words_as_the_names_of_controls(capturing, pages, live_server, queued_events):
    """Typed words named an option then chosen, a checkbox, a caption, a labelled-by heading and a
    dialog's button: every name arrives masked, the change's value too."""
    name = fresh_word()
    page = open_app(capturing, pages, queued_events, "/hostile/controls.html")
    type_into(page, "#list-name", name, enter=True)
    page.focus("#lists")
    page.keyboard.press("ArrowDown")  # a trusted change (select_option dispatches an untrusted one)
    page.click("#pin")
    page.click("#share")
    page.click("#ask")
    page.click("#delete")
    page.click("#create")
    change = arrived(queued_events, "change", target__selector="#lists")[0]
    assert change["value"] == "[typed]"
    arrived(queued_events, "change", target__selector="#pin", checked=True)
    arrived(queued_events, "click", target__selector="#pin", target__label="Pin [typed]")
    arrived(queued_events, "click", target__selector="#share", target__label="Share [typed]")
    arrived(queued_events, "click", target__selector="#delete", target__label="Delete [typed]")
    arrived(queued_events, "submit", target__label="Create another [typed]")
    assert_frames_clean(capturing, live_server, [name])


def test_editor_with_its_field_off_the_page(capturing, pages, live_server, queued_events):
    """An editor whose key field sits off the page (left: -10000px, full size) and is emptied after
    every key: the words it draws are learnt (extension/shared/typed-words.js, editorDrawing), also
    one mended in its middle, so the title that shows them after "Save" is masked."""
    first, second = fresh_word(), fresh_word()
    cut = 4
    page = open_app(capturing, pages, queued_events, "/hostile/offscreen-editor.html")
    page.click("#editor")
    page.keyboard.type(f"{first} {second[:cut]}{second[cut + 1 :]}")
    for _ in range(len(second) - cut - 1):
        page.keyboard.press("ArrowLeft")
    page.keyboard.type(second[cut])  # mended: the whole word was never typed in one go
    page.click("#save")
    page.click("#home")
    assert page.title() == f"{first} {second} - Notes", "the page did not show the text"
    click = arrived(queued_events, "click", target__selector="#home")[0]
    assert click["title"] == "[typed] - Notes", click
    assert_frames_clean(capturing, live_server, [first, second])
