"""Red team, round 8: text that reaches a page with no input event (the EditContext API,
a word dictated into an editor that inserts it itself, a value written by script), a folder
chosen whole, a typed name in a transliterated slug, a query put in the route unencoded.
Pages are tests/e2e/pages/round8/; the search for leaks is tests/e2e/redteam.py.

- test_monaco_words_typed_through_edit_context: Monaco 0.57 (npm), which in Chromium takes its
  text through an EditContext: no field, no input event, its element a 0 px wide div
  role=textbox holding no text. Every word typed, mended or dictated was sent in the title
  until an element with an EditContext was read as a field (its context's text, and the text
  its editor draws around it, as for a hidden field), and content/page-world.js told each
  textupdate (a word dictated comes with no key) on the element. Monaco draws a frame late:
  its drawing is read again at the next frame, and its keys make words as outside fields (a
  word typed just before ArrowUp was sent in that key's title, 1 run in 5, until then).
- test_canvas_editor_taking_text_through_edit_context: a note drawn on a canvas through an
  EditContext, as the API's explainer shows: no role, no DOM text. Typed words were learnt as
  keys outside any field, not a word mended in its middle nor one dictated; they were sent
  until the same change.
- test_slate_words_dictated_and_typed: Slate on React (npm, bundled by esbuild): a word
  dictated into the empty document, which Slate cancels and inserts itself: no key, no input
  event; sent in the title until a field whose beforeinput no input event follows was read
  once the page's handlers had run.
- test_editors_words_dictated_and_typed (codemirror, tiptap, lexical): the same with
  CodeMirror 6, TipTap (ProseMirror) and Lexical (npm, bundled by esbuild): Lexical inserts a
  dictated word itself too, and sent it until the same change; CodeMirror 6 and TipTap let the
  browser insert it (an input event comes): clean.
- test_folder_chosen_in_a_folder_input: a folder chosen whole (<input type=file
  webkitdirectory>): its files' names were learnt, not the folder's nor its subfolders', which
  the page showed in a tab, its title and its route, until a file's path in the folder was
  learnt too.
- test_typed_name_in_a_transliterated_slug: a contact's typed name made into its address by
  @sindresorhus/slugify (npm), which spells "ü" as "ue" and "ø", "ł", "æ" (letters Unicode does
  not decompose) as "o", "l", "ae": all four words were sent in the route until those letters
  were folded so and a word holding an umlaut was learnt spelt with an "e" too.
- test_words_typed_on_an_on_screen_keyboard: simple-keyboard (npm): its keys are clicks, and
  the page writes the text into the field by script (no key, no input event): the search was
  sent in the title and route until content/page-world.js told a value set by script on the
  field, read then as a value found in a field. The keys' clicks still spell the text by their
  positions in the keyboard (docs/privacy.md, Limits).
- test_typed_query_in_a_route_holding_a_stray_percent: a query put in the hash route unencoded
  with a "20%": decodeURIComponent failed on the whole path, so a typed word holding "ö" was
  matched as its encoded parts and its tail sent, until each run of escapes was decoded on its
  own, as the worker's unquote does (extension/shared/redact.js).

A failing test here is a leak (its message names the event type, the field and the value).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.e2e.conftest import serve_bundle
from tests.e2e.e2e_harness import wait_for
from tests.e2e.redteam import check_clean, token
from tests.e2e.test_label_policy import arrived, open_app
from tests.e2e.test_redteam_round4 import click_labels, mended

PAGES = Path(__file__).parent / "pages" / "round8"


def test_monaco_words_typed_through_edit_context(
    npm_capturing, pages, live_server, queued_events, run_workers
):
    """Monaco (EditContext): a word committed at once (an input method, dictation: no key), a
    key pressed (an arrow: an event carrying the title); then words typed on two lines, the
    first line's last word mended in its middle; the page shows the text live in its title; a
    key pressed while the editor keeps the focus; Save."""
    first, second, third, dictated = token(), token(), token(), token()
    page = open_app(npm_capturing, pages, queued_events, "/round8/monaco.html")
    page.wait_for_selector("body[data-ready=yes]")
    assert page.evaluate("document.body.dataset.editContext") == "true"
    page.click(".view-lines")
    page.keyboard.insert_text(f"{dictated} ")
    wait_for(lambda: dictated in page.title(), 5, message="the dictated word in the title")
    page.keyboard.press("ArrowLeft")
    left = arrived(queued_events, "key", key="ArrowLeft")[-1]
    assert left["title"] == "Draft: [typed]", left["title"]
    page.keyboard.press("Control+End")
    page.keyboard.type(f"{first} {second}")
    page.keyboard.press("Enter")
    page.keyboard.type(third)
    page.keyboard.press("ArrowUp")
    page.keyboard.press("End")
    for _ in range(3):
        page.keyboard.press("ArrowLeft")
    page.keyboard.type("k")
    # Monaco draws the text a frame after the title shows it (docs/privacy.md, Limits).
    page.wait_for_function("(word) => document.title.includes(word)", arg=mended(second))
    page.wait_for_function(
        "(word) => document.querySelector('.view-lines').textContent.includes(word)",
        arg=mended(second),
    )
    page.keyboard.press("ArrowDown")
    key = arrived(queued_events, "key", key="ArrowDown")[-1]
    assert key["title"] == "Draft: [typed]", key["title"]
    page.click("#save")
    page.click("#done")
    arrived(queued_events, "click", target__selector="#done")
    assert click_labels(queued_events)[-2:] == ["Save", "Done"], click_labels(queued_events)
    check_clean(
        npm_capturing,
        live_server,
        [first, second, mended(second), third, dictated],
        run_workers,
    )


def dictate_type_and_mend(
    page, queued_events, editor: str, shown: str = "[typed] - Docs", spaced: bool = False
) -> list[str]:
    """In the editor at `editor`: a word dictated into the empty document (an input method or
    dictation commits it at once, with no key; `spaced`: with the space after it), a key pressed
    (an event carrying the title, which shows the text: `shown` expected); words typed, one
    mended in its middle, a key pressed; Save, Done. Return the words that must not leave (the
    mended one as mended)."""
    first, second, dictated = token(), token(), token()
    page.wait_for_selector("body[data-ready=yes]")
    page.click(editor)
    page.keyboard.insert_text(f"{dictated} " if spaced else dictated)
    wait_for(lambda: dictated in page.title(), 5, message="the dictated word in the title")
    page.keyboard.press("ArrowLeft")
    left = arrived(queued_events, "key", key="ArrowLeft")[-1]
    assert left["title"] == shown, left["title"]
    page.keyboard.press("End")
    page.keyboard.type(f"{first} {second}" if spaced else f" {first} {second}")
    for _ in range(3):
        page.keyboard.press("ArrowLeft")
    page.keyboard.type("k")
    wait_for(lambda: mended(second) in page.title(), 5, message="the mended word in the title")
    page.keyboard.press("ArrowRight")
    right = arrived(queued_events, "key", key="ArrowRight")[-1]
    assert right["title"] == shown, right["title"]
    page.click("#save")
    page.click("#done")
    arrived(queued_events, "click", target__selector="#done")
    assert click_labels(queued_events)[-2:] == ["Save", "Done"], click_labels(queued_events)
    return [first, second, mended(second), dictated]


def test_canvas_editor_taking_text_through_edit_context(
    npm_capturing, pages, live_server, queued_events, run_workers
):
    """A note drawn on a canvas, its text taken through an EditContext (no field, no role): a
    word dictated, a key pressed; words typed, one mended in its middle (the page's own arrows
    move the caret), a key pressed; Save."""
    page = open_app(npm_capturing, pages, queued_events, "/round8/canvas-editor.html")
    words = dictate_type_and_mend(page, queued_events, "#editor", "Note: [typed]", spaced=True)
    check_clean(npm_capturing, live_server, words, run_workers)


def test_folder_chosen_in_a_folder_input(
    npm_capturing, pages, live_server, queued_events, run_workers, tmp_path
):
    """A folder (named by a new word, holding a subfolder named so and files) chosen in an
    <input type=file webkitdirectory>: the page shows the folder's name in its heading, title,
    an output and its hash route, a tab per subfolder; the tab clicked."""
    top, sub, loose, inner = token(), token(), token(), token()
    folder = tmp_path / top
    (folder / sub).mkdir(parents=True)
    (folder / f"{loose}.txt").write_text("notes\n")
    (folder / sub / f"{inner}.txt").write_text("notes\n")
    page = open_app(npm_capturing, pages, queued_events, "/round8/folder-upload.html")
    page.wait_for_selector("body[data-ready=yes]")
    page.set_input_files("#folder", folder)
    wait_for(lambda: top in page.title(), 5, message="the folder's name in the title")
    page.click("#tabs button")
    page.click("#done")
    arrived(queued_events, "click", target__selector="#done")
    assert click_labels(queued_events)[-2:] == ["[typed]", "Done"], click_labels(queued_events)
    check_clean(npm_capturing, live_server, [top, sub, loose, inner], run_workers)


@pytest.fixture
def slate_capturing(npm_capturing, npm_packages, pages, tmp_path):
    """npm_capturing, with pages/round8/slate-editor.jsx bundled by esbuild (React and Slate
    from NPM_PACKAGES) and served under /bundle."""
    serve_bundle(npm_packages, pages, tmp_path, PAGES / "slate-editor.jsx")
    return npm_capturing


def test_slate_words_dictated_and_typed(
    slate_capturing, pages, live_server, queued_events, run_workers
):
    """Slate: a word dictated into the empty document (an input method or dictation commits
    it at once: no key; Slate cancels the insertion and renders its model, so no input event
    comes either), a key pressed (an event carrying the title); words typed, one mended in its
    middle; Save."""
    page = open_app(slate_capturing, pages, queued_events, "/round8/slate-editor.html")
    words = dictate_type_and_mend(page, queued_events, "#editor")
    check_clean(slate_capturing, live_server, words, run_workers)


def test_typed_query_in_a_route_holding_a_stray_percent(
    npm_capturing, pages, live_server, queued_events, run_workers
):
    """A query typed, a word holding a letter outside ASCII and "20%": the page puts it in its
    hash route unencoded (the browser encodes the space and the letter, not the "%")."""
    word = token()
    accented = f"{word[:6]}ö{word[6:]}"
    page = open_app(npm_capturing, pages, queued_events, "/round8/raw-route.html")
    page.wait_for_selector("body[data-ready=yes]")
    page.click("#q")
    page.keyboard.type(f"{accented} 20%")
    page.keyboard.press("Enter")
    wait_for(lambda: page.url.endswith("%C3%B6" + word[6:] + "%2020%"), 5, message="the route")
    page.click("#done")
    route = arrived(queued_events, "route_change")[-1]
    assert route["url"].endswith("#/search/[typed]%25"), route["url"]
    check_clean(npm_capturing, live_server, [accented, word[:6], word[6:]], run_workers)


@pytest.fixture
def editors_capturing(npm_capturing, npm_packages, pages, tmp_path):
    """npm_capturing, with pages/round8/editors.js bundled by esbuild (CodeMirror 6, TipTap and
    Lexical from NPM_PACKAGES) and served under /bundle."""
    serve_bundle(npm_packages, pages, tmp_path, PAGES / "editors.js")
    return npm_capturing


@pytest.mark.parametrize("editor", ["codemirror", "tiptap", "lexical"])
def test_editors_words_dictated_and_typed(
    editors_capturing, pages, live_server, queued_events, run_workers, editor
):
    """CodeMirror 6, TipTap (ProseMirror) and Lexical, as Slate above: a word dictated into the
    empty document, a key pressed; words typed, one mended in its middle, a key pressed; Save."""
    page = open_app(
        editors_capturing, pages, queued_events, f"/round8/editors.html?editor={editor}"
    )
    words = dictate_type_and_mend(page, queued_events, "#editor [contenteditable=true]")
    check_clean(editors_capturing, live_server, words, run_workers)


@pytest.fixture
def slug_capturing(npm_capturing, npm_packages, pages, tmp_path):
    """npm_capturing, with pages/round8/slug.js bundled by esbuild (@sindresorhus/slugify from
    NPM_PACKAGES) and served under /bundle."""
    serve_bundle(npm_packages, pages, tmp_path, PAGES / "slug.js")
    return npm_capturing


def test_typed_name_in_a_transliterated_slug(
    slug_capturing, pages, live_server, queued_events, run_workers
):
    """A contact's name typed with letters a slug spells otherwise (an umlaut, a stroke, a
    ligature: "ü" is "ue", "ø" "o", "ł" "l", "æ" "ae"); the page makes the new record's address
    from it with @sindresorhus/slugify and goes there; the link to it clicked."""
    parts = [(token(), token()[2:]) for _ in range(4)]
    letters = [("ü", "ue"), ("ø", "o"), ("ł", "l"), ("æ", "ae")]
    typed = [f"{a}{letter}{b}" for (a, b), (letter, _) in zip(parts, letters, strict=True)]
    slugged = [f"{a}{spelt}{b}" for (a, b), (_, spelt) in zip(parts, letters, strict=True)]
    page = open_app(slug_capturing, pages, queued_events, "/round8/new-contact.html")
    page.wait_for_selector("body[data-ready=yes]")
    page.click("#name")
    page.keyboard.type(" ".join(typed))
    page.click("#create")
    wait_for(lambda: slugged[0] in page.url, 5, message="the slug in the address")
    page.click("#open")
    page.click("#done")
    arrived(queued_events, "click", target__selector="#done")
    route = arrived(queued_events, "route_change")[-1]
    assert route["url"].endswith("#/people/[typed]"), route["url"]
    check_clean(slug_capturing, live_server, typed + slugged, run_workers)


def test_words_typed_on_an_on_screen_keyboard(
    npm_capturing, pages, live_server, queued_events, run_workers
):
    """A search typed by clicking the keys of simple-keyboard's on-screen keyboard: the page
    writes the text into the field by script and shows it in its title and route; Done."""
    first, second = token(), token()
    page = open_app(npm_capturing, pages, queued_events, "/round8/on-screen-keyboard.html")
    page.wait_for_selector("body[data-ready=yes]")
    for key in [*first, "{space}", *second]:
        page.click(f'.hg-button[data-skbtn="{key}"]')
    assert page.input_value("#q") == f"{first} {second}"
    page.click("#done")
    done = arrived(queued_events, "click", target__selector="#done")[-1]
    assert done["title"] == "[typed] - Search", done["title"]
    check_clean(npm_capturing, live_server, [first, second], run_workers)
