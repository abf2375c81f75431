"""Rich-text editors from npm (TinyMCE in its classic iframe mode, Quill), not written here: the
words typed in them, shown back by the page around (title, a button's name, the hash route),
never reach the server or a sealed record (docs/privacy.md, "Labels", rule 4). The pages are
tests/e2e/pages/editors/.
"""

from __future__ import annotations

import pytest

from tests.e2e.e2e_harness import wait_for
from tests.e2e.events_helpers import of_type
from tests.e2e.redteam import check_clean, prefixes, token
from tests.e2e.test_label_policy import arrived, open_app

# Where each editor takes keys: TinyMCE's body inside the iframe it builds, Quill's own element.
EDITORS = {
    "tinymce": lambda page: page.frame_locator("iframe.tox-edit-area__iframe").locator("body"),
    "quill": lambda page: page.locator(".ql-editor"),
}


@pytest.mark.parametrize("editor", sorted(EDITORS))
def test_words_typed_in_an_editor_library(
    npm_capturing, pages, live_server, queued_events, run_workers, editor
):
    """Two words typed in the editor, then Save: the page shows them; none may leave."""
    first, second = token(), token()
    page = open_app(npm_capturing, pages, queued_events, f"/editors/{editor}.html")
    page.wait_for_selector("body[data-ready=yes]")
    EDITORS[editor](page).click()
    page.keyboard.type(f"{first} {second}")
    page.click("#save")
    page.click("#done")
    assert second in page.title(), "the page did not show the text"
    arrived(queued_events, "click", target__selector="#done")
    wait_for(lambda: of_type(queued_events(), "route_change"), 10, message="route change")
    check_clean(npm_capturing, live_server, [first, *prefixes(second)], run_workers)


def close_list(page, dropdown: str) -> None:
    """Leave a Tom Select control until its list stays hidden: it may focus its control again a
    moment after a pick (then the list opens again and covers what is clicked next)."""
    for _ in range(5):
        page.click("h1")
        page.locator(dropdown).wait_for(state="hidden")
        page.wait_for_timeout(300)
        if not page.locator(dropdown).is_visible():
            return
    raise AssertionError(f"{dropdown} keeps opening")


def test_a_picker_of_colleagues_and_typed_tags(
    npm_capturing, pages, live_server, queued_events, run_workers
):
    """Tom Select: an "Assign to" picker searched by typing, its options colleagues, the chosen
    one a chip; a tag field whose tags are typed and shown as chips. Options are a listbox's, the
    chip a generic element: neither is a name; typed tags are masked."""
    tag = token()
    page = open_app(npm_capturing, pages, queued_events, "/pickers/tom-select.html")
    page.wait_for_selector("body[data-ready=yes]")
    page.click("#tags-ts-control")
    page.keyboard.type(tag)
    page.keyboard.press("Enter")
    page.click(f".ts-control .item >> text={tag}")
    close_list(page, "#tags-ts-dropdown")  # an open list would cover the next field
    page.click("#assignee-ts-control")
    page.keyboard.type("Perp")
    page.click(".ts-dropdown [data-selectable] >> text=Perpetua Holloway")
    close_list(page, "#assignee-ts-dropdown")
    page.click("#done")
    arrived(queued_events, "click", target__selector="#done")
    option = of_type(queued_events(), "click", target__role="option")
    assert option and "label" not in option[0]["target"], option
    names = ["Perpetua", "Holloway", "Thaddeus", "Wrexham", "Ottoline", "Marchbank"]
    check_clean(npm_capturing, live_server, [*names, tag], run_workers)
