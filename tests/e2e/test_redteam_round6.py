"""Red team, round 6: pages that take text from the clipboard themselves, pickers built from
menus rather than selects, and Toast UI's editor and grid (npm), beyond what rounds 1 to 5 try
(tests/e2e/test_redteam_round5.py). Pages are tests/e2e/pages/round6/; the search for leaks is
tests/e2e/redteam.py.

- test_clipboard_read_by_a_button: "Paste" buttons reading navigator.clipboard.readText() or
  read() (no paste event, no field) and showing the text in a heading, the title, a note and a
  new tab: the tab's label and the title carried the text (it was a documented limit) until a
  script in the page's world (content/page-world.js) handed what the page reads from the
  clipboard to the content script, which learns it as typed.
- test_prompt_answer_shown: a name asked for with window.prompt() (typed in the browser's
  dialog: no key or input event in the page) and shown the same ways: it leaked the same way
  until content/page-world.js handed the answer over too.
- test_clipboard_data_of_a_paste_shown_elsewhere: a paste zone (no field) whose own listener
  reads event.clipboardData and shows it elsewhere: clean (text pasted is learnt at once).
- test_paste_taken_and_stopped_on_window: a page whose own paste listener on window, in the
  capture phase, takes the paste and stops it before the content script's listeners on
  document see it (a documented limit): the text it showed in a tab and the title was sent
  until content/page-world.js listened on window before the page's scripts could.
- test_dropdown_picker_of_colleagues: Bootstrap 4 dropdowns used as pickers (not selects: no
  combobox, no listbox): the toggle whose text the app sets to the chosen colleague was labelled
  by the name (a click, the Escape key, observations), and so were the open menu's items, until
  a control that opens a popup or is expanded, and a control in the popup just after one, was
  named by its text only when it has the shape of UI vocabulary ("Open", "In progress" kept).
  A typed name in a tab and a div role=button chip is [typed].
- test_headless_ui_and_radix_select_triggers: Headless UI's Listbox and Radix's Select (React,
  bundled by the esbuild npm package when the test starts), a colleague and a word picked in
  each: their triggers were already held to the shape of UI vocabulary (round 5), but Radix's
  options are aria-labelledby their text and were named after the colleagues (observations of
  the open list, the Escape key) until an option's borrowed name was held to that shape too.
  Headless UI's Menu used as a picker: its items, drawn in a portal, were named after the
  colleagues until a popup aria-labelledby its trigger was known as one.
- test_draft_in_a_base64_share_link: a draft's typed title and body kept in the page's hash
  route as base64 of JSON (URL-safe, or btoa's percent-encoded), as "share this" links are
  made: the route carried the encoded draft until runs of base64 that decode to text holding a
  typed word were masked as [typed].
- test_tribute_mentions_typing_indicator_and_sent_messages: Tribute's @mentions in a
  contenteditable composer, a typing indicator showing the draft in the title and an aria-live
  line, the message sent and shown with its chip outside any role=log: clean.
- test_toastui_editor_markdown_and_wysiwyg: Toast UI Editor, a heading, a line and a link typed
  in markdown (a live preview beside it, the draft in the title), the switch to WYSIWYG, a word
  typed there: clean.
- test_tui_grid_cells_edited_and_filtered: Toast UI Grid, a cell typed in (the title and the
  hash route show it), a select cell's editor of colleagues opened, a column's filter typed
  in: clean (its header and body are two tables, so every cell is [content]).

A failing test here is a leak (its message names the event type, the field and the value).
"""

from __future__ import annotations

import base64
import json
from pathlib import Path
from urllib.parse import quote

import pytest

from tests.e2e.conftest import serve_bundle
from tests.e2e.e2e_harness import wait_for
from tests.e2e.events_helpers import of_type
from tests.e2e.redteam import check_clean, prefixes, token
from tests.e2e.test_label_policy import arrived, open_app, set_policy
from tests.e2e.test_redteam_round3 import saved
from tests.e2e.test_redteam_round4 import click_labels

NAMES = ["Perpetua", "Holloway", "Thaddeus", "Wrexham", "Ottoline", "Marchbank"]
PAGES = Path(__file__).parent / "pages" / "round6"


@pytest.fixture
def react_capturing(npm_capturing, npm_packages, pages, tmp_path):
    """npm_capturing, with pages/round6/react-selects.jsx bundled by esbuild (React, Headless
    UI and Radix from NPM_PACKAGES) and served under /bundle."""
    serve_bundle(npm_packages, pages, tmp_path, PAGES / "react-selects.jsx")
    return npm_capturing


def on_clipboard(page, text: str) -> None:
    """Put `text` on the clipboard, as another program copying it would."""
    page.context.grant_permissions(["clipboard-read", "clipboard-write"])
    page.evaluate("(text) => navigator.clipboard.writeText(text)", text)


def paste_then_open_its_tab(capturing, pages, queued_events, path: str, into: str) -> list[str]:
    """Open `path`, paste two new words with Ctrl+V in `into` (the page shows them in its
    title and a tab), click the tab and Done; return the words. The labels of the clicks are
    asserted: `into`'s own, the tab's as typed, Done's."""
    first, second = token(), token()
    page = open_app(capturing, pages, queued_events, path)
    page.wait_for_selector("body[data-ready=yes]")
    on_clipboard(page, f"{first} {second}")
    page.click(into)
    page.keyboard.press("Control+V")
    wait_for(lambda: second in page.title(), 5, message="the paste in the title")
    page.click(f"#tabs button >> text={first}")
    page.click("#done")
    arrived(queued_events, "click", target__selector="#done")
    labels = click_labels(queued_events)
    assert labels == [None, "[typed]", "Done"], labels
    return [first, second]


@pytest.mark.parametrize(
    ("button", "name"),
    [("#paste-button", "Paste from clipboard"), ("#paste-items", "Paste as text")],
)
def test_clipboard_read_by_a_button(
    npm_capturing, pages, live_server, queued_events, run_workers, button, name
):
    """A "Paste" button reads navigator.clipboard.readText() or read() (no paste event, no
    field) and shows the text in a heading, the title, a list of notes, a new tab and an
    output; the tab and the note's button are clicked."""
    first, second = token(), token()
    page = open_app(npm_capturing, pages, queued_events, "/round6/clipboard.html")
    page.wait_for_selector("body[data-ready=yes]")
    on_clipboard(page, f"{first} {second}")
    page.click(button)
    wait_for(lambda: second in page.title(), 5, message="the clipboard's text in the title")
    page.click(f"#tabs button >> text={first}")
    page.click("#notes li button")
    page.click("#done")
    arrived(queued_events, "click", target__selector="#done")
    labels = click_labels(queued_events)
    assert labels == [name, "[typed]", "[content]", "Done"], labels
    titles = {c["title"] for c in of_type(queued_events(), "click")}
    assert titles == {"Notes", "[typed] - Notes"}, titles
    check_clean(npm_capturing, live_server, [first, second], run_workers)


def test_prompt_answer_shown(npm_capturing, pages, live_server, queued_events, run_workers):
    """A "New notebook" button asks for a name with window.prompt() (typed in the browser's
    dialog: no key, no input event in the page) and shows it in a heading, the title, a list of
    notes, a new tab and an output; the tab is clicked."""
    first, second = token(), token()
    page = open_app(npm_capturing, pages, queued_events, "/round6/clipboard.html")
    page.wait_for_selector("body[data-ready=yes]")
    page.once("dialog", lambda dialog: dialog.accept(f"{first} {second}"))
    page.click("#rename")
    wait_for(lambda: second in page.title(), 5, message="the answer in the title")
    page.click(f"#tabs button >> text={first}")
    page.click("#done")
    arrived(queued_events, "click", target__selector="#done")
    labels = click_labels(queued_events)
    assert labels == ["New notebook", "[typed]", "Done"], labels
    titles = {c["title"] for c in of_type(queued_events(), "click")}
    assert titles == {"Notes", "[typed] - Notes"}, titles
    check_clean(npm_capturing, live_server, [first, second], run_workers)


def test_clipboard_data_of_a_paste_shown_elsewhere(
    npm_capturing, pages, live_server, queued_events, run_workers
):
    """A paste zone (a div, no field) whose own paste listener reads event.clipboardData,
    cancels the paste and shows the text in a heading, the title, a list, a tab and an output;
    the tab is clicked."""
    words = paste_then_open_its_tab(
        npm_capturing, pages, queued_events, "/round6/clipboard.html", "#zone"
    )
    check_clean(npm_capturing, live_server, words, run_workers)


def test_dropdown_picker_of_colleagues(
    npm_capturing, pages, live_server, queued_events, run_workers
):
    """Bootstrap 4 dropdowns used as pickers: the "Assignee" toggle opened, a colleague chosen
    (the toggle's text becomes the name), the toggle clicked again and closed; the "Status"
    toggle, "In progress" chosen; a watcher's name typed and added (a tab and a div role=button
    chip show it), the tab and the chip clicked."""
    watcher = token()
    page = open_app(npm_capturing, pages, queued_events, "/round6/dropdown-picker.html")
    page.wait_for_selector("body[data-ready=yes]")
    page.click("#assignee")
    page.click("#assignee-picker .dropdown-item >> text=Thaddeus Wrexham")
    assert page.inner_text("#assignee") == "Thaddeus Wrexham"
    page.click("#assignee")
    page.keyboard.press("Escape")
    page.click("#status")
    page.click("#status-picker .dropdown-item >> text=In progress")
    page.click("#person")
    page.keyboard.type(f"{watcher.title()} Quenby")
    page.click("#add")
    page.click(f"#watchers a >> text={watcher.title()} Quenby")
    page.click("#reviewer")
    page.click("#done")
    arrived(queued_events, "click", target__selector="#done")
    # The toggles show the chosen item: named by it only when it has the shape of UI vocabulary
    # ("Open"), as a custom select is; the menu's items are named so too ("In progress" is kept).
    # Both were named "Thaddeus Wrexham" (clicks, the Escape key, observations of the open menu).
    labels = click_labels(queued_events)
    assert labels == [
        "Unassigned",
        "[content]",
        "[content]",
        "Open",
        "In progress",
        "Add a watcher",
        "Add",
        "[typed]",
        "[typed]",
        "Done",
    ], labels
    escape = arrived(queued_events, "key", key="Escape")[0]
    assert escape["target"].get("label") == "[content]", escape["target"]
    menus = [e["elements"] for e in of_type(queued_events(), "observation")]
    items = {e.get("label") for elements in menus for e in elements if e.get("tag") == "a"}
    assert {"In progress", "Closed", "[content]"} <= items, items
    last = [(e.get("tag"), e.get("label")) for e in menus[-1]]
    assert last[:3] == [("button", "[content]"), ("button", "In progress"), ("span", "[typed]")]
    check_clean(npm_capturing, live_server, [watcher, "Quenby", *NAMES], run_workers)


def test_toastui_editor_markdown_and_wysiwyg(
    npm_capturing, pages, live_server, queued_events, run_workers
):
    """Toast UI Editor: a heading and a line with a link typed in markdown (the preview beside it
    draws them, the title shows the first line), the preview's link clicked, a switch to
    WYSIWYG, a word typed there; Save."""
    first, second, host, path, third = token(), token(), token(), token(), token()
    page = open_app(npm_capturing, pages, queued_events, "/round6/toastui-editor.html")
    page.wait_for_selector("body[data-ready=yes]")
    page.click(".toastui-editor-md-container .ProseMirror")
    page.keyboard.type(f"# {first}\n\n{second} [site](https://{host}.example.com/{path})")
    wait_for(lambda: first in page.title(), 5, message="the draft in the title")
    page.click(".toastui-editor-md-preview h1")
    page.click(".toastui-editor-mode-switch .tab-item >> text=WYSIWYG")
    page.click(".toastui-editor-ww-container .ProseMirror p")
    page.keyboard.press("End")
    page.keyboard.type(f" {third}")
    saved(page, queued_events, "#save", first)
    # Both editors are editable ([content]); the preview's heading and the mode switch (divs)
    # have no name.
    labels = click_labels(queued_events)
    assert labels == ["[content]", None, None, "[content]", "Save", "Done"], labels
    assert page.locator(f".toastui-editor-ww-container >> text={third}").count() == 1
    # The preview draws the first line as a level-one heading, which the title repeats: the
    # title policy takes it for the record's name (docs/privacy.md, rule 8) before typed words.
    route = of_type(queued_events(), "route_change")[-1]
    assert route["title"] == "[content] - Page", route["title"]
    assert route["url"].endswith("#/pages/[typed]"), route["url"]
    secrets = [*prefixes(first), second, host, path, third]
    check_clean(npm_capturing, live_server, secrets, run_workers)


def test_tui_grid_cells_edited_and_filtered(
    npm_capturing, pages, live_server, queued_events, run_workers
):
    """Toast UI Grid: a description typed in a cell (the title and the hash route show it), the
    cell clicked; a select cell's editor opened (a list of colleagues) and closed; the
    description column filtered by a typed word."""
    first, second, condition = token(), token(), token()
    page = open_app(npm_capturing, pages, queued_events, "/round6/tui-grid.html")
    page.wait_for_selector("body[data-ready=yes]")
    page.dblclick(".tui-grid-rside-area td >> text=Taxi to airport")
    page.keyboard.press("Control+A")
    page.keyboard.type(f"{first} {second}")
    page.keyboard.press("Enter")
    wait_for(lambda: second in page.title(), 5, message="the cell in the title")
    page.click(f".tui-grid-rside-area td >> text={first} {second}")
    page.dblclick(".tui-grid-rside-area td >> text=Ottoline Marchbank")
    page.wait_for_selector(".tui-grid-editor-select-box-layer >> text=Thaddeus Wrexham")
    page.keyboard.press("Escape")
    page.click(".tui-grid-btn-filter")
    page.click(".tui-grid-filter-input")
    page.keyboard.type(condition)
    page.wait_for_timeout(500)
    page.click("h1")
    page.click("#done")
    arrived(queued_events, "click", target__selector="#done")
    # Toast UI Grid draws its header and its body as two tables: a body cell has no header in
    # its own table, so every cell is [content]; the filter's controls (unnamed) have no name.
    labels = click_labels(queued_events)
    assert labels[-1] == "Done" and labels.count("[content]") >= 4, labels
    assert set(labels[:-1]) <= {"[content]", None}, labels
    assert any(k["title"] == "[typed] - Expenses" for k in of_type(queued_events(), "click"))
    secrets = [*prefixes(first), *prefixes(second), condition, *NAMES]
    check_clean(npm_capturing, live_server, secrets, run_workers)


def test_headless_ui_and_radix_select_triggers(
    react_capturing, pages, live_server, queued_events, run_workers
):
    """Headless UI's Listbox and Radix's Select on React: an "Assignee" (Headless UI) and a
    "Reviewer" (Radix) of colleagues, each opened and a colleague picked, opened again and
    closed with Escape; a "Priority" and an "Urgency" of words picked. Headless UI's Menu as a
    picker: an approver of colleagues picked, opened again and closed; a state of words."""
    page = open_app(react_capturing, pages, queued_events, "/round6/react-selects.html")
    page.wait_for_selector("body[data-ready=yes]")
    page.click("#hui-assignee")
    page.click("[role=option] >> text=Thaddeus Wrexham")
    assert page.inner_text("#hui-assignee") == "Thaddeus Wrexham"
    page.click("#hui-assignee")
    page.keyboard.press("Escape")
    page.click("#hui-priority")
    page.click("[role=option] >> text=High")
    page.click("#hui-approver")
    page.click("[role=menuitem] >> text=Perpetua Holloway")
    assert page.inner_text("#hui-approver") == "Perpetua Holloway"
    page.click("#hui-approver")
    page.keyboard.press("Escape")
    page.click("#hui-state")
    page.click("[role=menuitem] >> text=In review")
    page.click("#radix-reviewer")
    page.click("[role=option] >> text=Ottoline Marchbank")
    assert "Ottoline Marchbank" in page.inner_text("#radix-reviewer")
    page.click("#radix-reviewer")
    page.keyboard.press("Escape")
    page.click("#radix-priority")
    page.click("[role=option] >> text=High")
    page.click("#done")
    arrived(queued_events, "click", target__selector="#done")
    # Headless UI's Listbox button is labelled (aria-labelledby) by its label and by itself:
    # [content] while it shows a colleague, "Priority Low" while it shows a word; its options
    # have no name. Its Menu's button shows the item chosen, and its items (in a portal, the menu
    # aria-labelledby the button) were named after the colleagues until a popup labelled by its
    # trigger was known as one. Radix opens on pointerdown, so its clicks land on its layer (no
    # name); its options are aria-labelledby their text: they were named after the colleagues
    # (observations, the Escape key) until an option's borrowed name was held to the shape of UI
    # vocabulary.
    labels = click_labels(queued_events)
    assert labels[:10] == [
        "[content]",
        None,
        "[content]",
        "Priority Low",
        None,
        "Nobody",
        "[content]",
        "[content]",
        "Nobody",
        "In review",
    ], labels
    assert labels[-1] == "Done" and set(labels[10:-1]) <= {None, "[content]"}, labels
    escapes = of_type(queued_events(), "key", key="Escape")
    assert len(escapes) == 3, escapes
    assert {e["target"].get("label") for e in escapes} <= {"[content]", None}, escapes
    last = of_type(queued_events(), "observation")[-1]["elements"]
    pickers = [(e.get("role"), e.get("label")) for e in last if e["tag"] == "button"]
    assert pickers == [
        ("button", "[content]"),
        ("button", "Priority High"),
        ("button", "[content]"),
        ("button", "In review"),
        ("combobox", "[content]"),
        ("combobox", "High▾"),
        ("button", "Done"),
    ], pickers
    options = [
        e.get("label")
        for elements in of_type(queued_events(), "observation")
        for e in elements["elements"]
        if e.get("role") == "option"
    ]
    assert "[content]" in options and "High" in options, options
    check_clean(react_capturing, live_server, NAMES, run_workers)


def encoded(state: dict, style: str) -> str:
    """`state` as share-link.html puts it in its address (JSON, in base64 of `style`)."""
    raw = json.dumps(state, separators=(",", ":"), ensure_ascii=False).encode()
    if style == "btoa":
        return base64.b64encode(raw).decode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


@pytest.mark.parametrize("style", ["base64url", "btoa"])
def test_draft_in_a_base64_share_link(
    npm_capturing, pages, live_server, queued_events, run_workers, style
):
    """A draft's title and body typed, then "Share": the page puts them in its hash route as
    base64 of JSON (URL-safe, or btoa's percent-encoded) and links to it; the link clicked."""
    first, second, third = token(), token(), token()
    page = open_app(npm_capturing, pages, queued_events, f"/round6/share-link.html?style={style}")
    page.wait_for_selector("body[data-ready=yes]")
    page.click("#title")
    page.keyboard.type(f"{first} {second}")
    page.click("#body")
    page.keyboard.type(f"Call {third}")
    page.click("#share")
    state = {"title": f"{first} {second}", "body": f"Call {third}"}
    assert page.evaluate("location.hash") == "#/share/" + quote(encoded(state, style), safe="-_")
    page.click("#link")
    page.click("#done")
    arrived(queued_events, "click", target__selector="#done")
    route = arrived(queued_events, "route_change")[0]
    assert route["url"].endswith("#/share/[typed]"), route["url"]
    urls = {e["url"] for e in queued_events()}
    assert all("share/" not in url or url.endswith("#/share/[typed]") for url in urls), urls
    labels = click_labels(queued_events)
    assert labels == ["Title", "Body", "Share", "Open shared draft", "Done"], labels
    # The search for leaks looks for the encoded text too, and for its beginning (the title).
    whole = encoded(state, style)
    secrets = [first, second, third, whole, whole[:24], quote(whole, safe="")]
    check_clean(npm_capturing, live_server, secrets, run_workers)


def test_tribute_mentions_typing_indicator_and_sent_messages(
    npm_capturing, pages, live_server, queued_events, run_workers
):
    """Tribute: a message typed in a contenteditable composer with a colleague mentioned ("@Thad",
    the suggestion clicked: a chip of the name), while a typing indicator shows the draft in the
    title and an aria-live status line; sent (the message shown with its chip, outside any
    role=log), its text and chip clicked, Reply clicked."""
    first, second = token(), token()
    page = open_app(npm_capturing, pages, queued_events, "/round6/tribute-chat.html")
    page.wait_for_selector("body[data-ready=yes]")
    page.click("#composer")
    page.keyboard.type(f"{first} @Thad")
    page.click(".tribute-container li >> text=Thaddeus Wrexham")
    page.keyboard.type(f" {second}")
    wait_for(lambda: second in page.title(), 5, message="the draft in the title")
    page.keyboard.press("ArrowLeft")
    key = arrived(queued_events, "key", key="ArrowLeft")[0]
    assert key["title"].startswith("✎ [typed]"), key["title"]
    page.click("#send")
    page.click(f".message .text >> text={first}")
    page.click(".message .mention")
    page.click(".message .reply")
    page.click("#done")
    arrived(queued_events, "click", target__selector="#done")
    # The composer is editable ([content]); Tribute's menu closes on mousedown, the message's
    # spans name nothing. The composer's text, the chip's name in it too, is learnt as typed
    # when it is read: the title shows "[typed]" for the whole draft.
    labels = click_labels(queued_events)
    assert labels == ["[content]", None, "Send", None, None, "Reply", "Done"], labels
    titles = {e.get("title") for e in queued_events()}
    assert titles == {"Team chat", "✎ [typed] - Team chat"}, titles
    check_clean(npm_capturing, live_server, [*prefixes(first), second, *NAMES], run_workers)


def test_paste_taken_and_stopped_on_window(
    npm_capturing, pages, live_server, queued_events, run_workers
):
    """A page whose own paste listener on window, in the capture phase, takes every paste before
    anything else sees it (cancelled and stopped): the text shown as a card, in the title and a
    tab; the tab clicked."""
    words = paste_then_open_its_tab(
        npm_capturing, pages, queued_events, "/round6/window-paste.html", "h1"
    )
    titles = {c["title"] for c in of_type(queued_events(), "click")}
    assert titles == {"Board", "[typed] - Board"}, titles
    check_clean(npm_capturing, live_server, words, run_workers)


NATIVE = """() => [window.prompt, Clipboard.prototype.readText, Clipboard.prototype.read]
    .map((fn) => Function.prototype.toString.call(fn).includes("[native code]"))"""


def test_the_page_world_script_runs_on_work_apps_only(capturing, pages, queued_events, admin):
    """content/page-world.js changes the page's own window.prompt and clipboard reads, which a
    page can notice: it is registered for the policy's work apps (background/page-world.js), so
    another site (here the same pages from `localhost`) keeps the browser's own, until the
    policy names it: then its next load has the script."""
    page = open_app(capturing, pages, queued_events, "/round6/clipboard.html")
    assert page.evaluate(NATIVE) == [False, False, False]
    other = pages.url("/round6/clipboard.html").replace("127.0.0.1", "localhost")
    elsewhere = capturing.open(other)
    elsewhere.wait_for_selector("body[data-ready=yes]")
    assert elsewhere.evaluate(NATIVE) == [True, True, True]

    localhost = pages.origin.replace("127.0.0.1", "localhost")
    set_policy(admin, allowed_origins=[pages.origin, localhost])

    def wrapped_after_a_load() -> bool:
        elsewhere.reload()
        elsewhere.wait_for_selector("body[data-ready=yes]")
        return elsewhere.evaluate(NATIVE) == [False, False, False]

    wait_for(wrapped_after_a_load, 10, message="the page-world script on the newly named origin")
