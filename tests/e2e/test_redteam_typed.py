"""Red team, typed text: pages that try to carry what a person typed, or an input's value, out
of the browser by paths the other e2e pages do not take (tests/e2e/pages/redteam/; the search
for leaks is tests/e2e/redteam.py)."""

from __future__ import annotations

import secrets
import time

import pytest

from tests.e2e.e2e_harness import wait_for
from tests.e2e.events_helpers import capture_everything, of_type
from tests.e2e.redteam import check_clean, prefixes, token
from tests.e2e.test_label_policy import arrived, open_app, set_policy


@pytest.fixture
def capturing(live_server, admin, launch_browser, pages):
    """A capturing browser consented to every category; the rarity gate's k is 1."""
    return capture_everything(live_server, admin, launch_browser, pages)


# --- Typed text that never fires an input event ----------------------------------------------


def test_aria_textbox_driven_by_keydown(capturing, pages, live_server, queued_events):
    """A role=textbox widget that builds its text from keydown (no input event, not editable):
    the docs count ARIA textboxes as fields whose words are learnt. Its query is shown live in the
    title, a heading and the path; a command key (Enter) and the route changes carry them."""
    first, second = token(), token()
    page = open_app(capturing, pages, queued_events, "/redteam/aria-textbox.html")
    page.click("#finder")
    page.keyboard.type(f"{first} {second}")
    page.keyboard.press("Enter")
    page.click("#clear")
    arrived(queued_events, "click", target__selector="#clear")
    arrived(queued_events, "key", key="Enter")
    wait_for(lambda: of_type(queued_events(), "route_change"), 10, message="route changes")
    check_clean(capturing, live_server, prefixes(first) + prefixes(second))


def test_editor_that_renders_its_own_model(capturing, pages, live_server, queued_events):
    """A contenteditable editor that cancels beforeinput and renders its model (Draft.js, Slate):
    no input event fires. The title and path follow the first line; a toolbar that keeps focus
    (mousedown cancelled) is clicked, and an arrow key is pressed, while the editor has focus."""
    first, second = token(), token()
    page = open_app(capturing, pages, queued_events, "/redteam/self-render-editor.html")
    page.click("#editor")
    page.keyboard.type(f"{first} {second}")
    page.keyboard.press("ArrowLeft")
    page.click("#bold")
    page.click("#save")
    assert page.title().startswith(first), "the page did not render what was typed"
    arrived(queued_events, "click", target__selector="#save", target__label="Save")
    arrived(queued_events, "key", key="ArrowLeft")
    check_clean(capturing, live_server, prefixes(first) + prefixes(second))


# --- Typed text shown late, before the word is finished --------------------------------------


def test_search_results_for_a_prefix_arrive_late(capturing, pages, live_server, queued_events):
    """Search as you type on a slow server: results for the query as it was 1.5 s earlier (a
    prefix of the word being typed) are shown in the title and the path. Each event learns the
    field's value as it is when the event leaves, never the prefix shown; the worker never asks
    the event's own top document (extension/background/typed-store.js, typingSources). The
    same-document case of the documented frame/other-tab limit."""
    word = token()
    page = open_app(capturing, pages, queued_events, "/redteam/late-results.html")
    page.click("#q")
    page.keyboard.type(word, delay=100)
    page.wait_for_timeout(2000)  # the last results arrive
    page.click("#more")
    arrived(queued_events, "click", target__selector="#more")
    wait_for(lambda: len(of_type(queued_events(), "route_change")) >= 3, 10, message="routes")
    check_clean(capturing, live_server, prefixes(word))


# --- Typed text reshaped in ways a reader hardly sees ----------------------------------------


@pytest.mark.parametrize("mode", ["softhyphen", "zwsp", "truncate", "grouping"])
def test_typed_text_shown_reshaped(mode, capturing, pages, live_server, queued_events):
    """Typed words shown with an invisible character inside (soft hyphen, zero-width space), cut
    mid-word with an ellipsis, or a typed amount with thousands separators."""
    first, second = token(), token()
    amount = str(secrets.randbelow(89_000) + 10_000)  # five digits: not a [number] by rule 4
    grouped = f"{amount[:2]},{amount[2:]}"
    text = {"truncate": f"Re {first} {second}", "grouping": f"Refund {amount} to {first}"}.get(
        mode, f"{first} {second}"
    )
    page = open_app(capturing, pages, queued_events, f"/redteam/reshaped.html?mode={mode}")
    page.click("#note")
    page.keyboard.type(text)
    page.keyboard.press("Enter")
    page.click("#shown")
    page.click("#add")  # a second click, after the page showed the text for sure
    arrived(queued_events, "click", target__selector="#add")
    shown = arrived(queued_events, "click", target__selector="#shown")
    assert shown[-1]["target"].get("label", "").startswith("Open")
    if mode == "truncate":
        secrets_ = [first[:9]]  # "Re zqxxxxxxx…": the cut leaves nine letters of `first`
    elif mode == "grouping":
        secrets_ = [grouped, amount]
    else:
        secrets_ = [first, second]
    check_clean(capturing, live_server, secrets_)


# --- An input's value that is not typed: a chosen file's name --------------------------------


def test_chosen_file_name_shown_back(capturing, pages, live_server, queued_events):
    """A file input's value (the chosen file's name) shown in its label, a button and the title."""
    first, second = token(), token()
    name = f"{first}-{second}.pdf"
    page = open_app(capturing, pages, queued_events, "/redteam/file-name.html")
    page.set_input_files(
        "#attach", files=[{"name": name, "mimeType": "application/pdf", "buffer": b"%PDF-1.4\n"}]
    )
    wait_for(lambda: page.title().startswith(first), 5, message="the page showed the name")
    page.click("#attach-label")
    page.click("#upload")
    page.click("#done")
    arrived(queued_events, "click", target__selector="#done")
    arrived(queued_events, "submit")
    check_clean(capturing, live_server, [first, second])


def test_typed_note_echoed_through_every_name_channel(
    capturing, pages, admin, live_server, queued_events, run_workers
):
    """A typed note shown as an image's alt, an SVG title, a tooltip, a checkbox's label, an
    output and its label, a summary, a placeholder, controls relabelled 100 ms, 1 s and 3 s
    later, a hash route with a query; then another typed word in the next page's path."""
    set_policy(admin, min_contributors=1)
    first, second, third = token(), token(), token()
    page = open_app(capturing, pages, queued_events, "/redteam/echoes.html")
    page.click("#note")
    page.keyboard.type(f"{first} {second}")
    page.keyboard.press("Enter")
    page.wait_for_timeout(3300)  # every late relabelling has happened
    for selector in (
        "#thumb",
        "#icon",
        "#pin",
        "#count",
        "#summary",
        "#again",
        "#late-1",
        "#late-2",
        "#late-3",
    ):
        page.click(selector)
    arrived(queued_events, "click", target__selector="#late-3", target__label="Archive [typed]")
    arrived(queued_events, "route_change")
    page.click("#where")
    page.keyboard.type(third)
    page.keyboard.press("Enter")
    wait_for(lambda: len(of_type(queued_events(), "page_view")) >= 2, 10, message="next page")
    time.sleep(0.5)
    check_clean(capturing, live_server, [first, second, third], run_workers)


def test_dropped_file_name_shown_back(capturing, pages, live_server, queued_events):
    """A file dropped on a drop zone: its name, shown back on a button and in the title, is
    learnt as typed, as a chosen file's is."""
    first, second = token(), token()
    page = open_app(capturing, pages, queued_events, "/redteam/file-name.html")
    page.evaluate(
        """name => {
            const data = new DataTransfer();
            data.items.add(new File(["%PDF-1.4"], name, { type: "application/pdf" }));
            document.getElementById("drop").dispatchEvent(
                new DragEvent("drop", { dataTransfer: data, bubbles: true, cancelable: true }));
        }""",
        f"{first}-{second}.pdf",
    )
    wait_for(lambda: page.title().startswith(first), 5, message="the page showed the name")
    page.click("#upload")
    page.click("#done")
    arrived(queued_events, "click", target__selector="#done")
    arrived(queued_events, "click", target__selector="#upload")
    check_clean(capturing, live_server, [first, second])
