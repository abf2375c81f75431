"""TodoMVC as other frameworks build it (the npm `todomvc` package's examples: React, Backbone,
Vue, AngularJS, Knockout, Mithril, Ember): apps nobody here wrote, each updating the DOM its
own way (a virtual DOM re-rendering the list, two-way bindings, templates swapped on edit). The
same session as tests/e2e/test_label_policy.py `test_todomvc_from_npm`: an item typed, clicked,
toggled, edited and filtered; no word typed may reach the server or a sealed record.

Two rules keep the item's text in: the item is a list item, so its label is structural
(`[content]`, asserted: with the label policy broken it is `[typed]`), and its words were typed
(with both broken, the leak check fails).
"""

from __future__ import annotations

import pytest

from tests.e2e.e2e_harness import type_into, wait_for
from tests.e2e.events_helpers import of_type
from tests.e2e.test_label_policy import arrived, assert_nothing_leaked, open_app

FRAMEWORKS = ["react", "backbone", "vue", "angularjs", "knockoutjs", "mithril", "emberjs"]
NEW = "#new-todo"
ITEM = "#todo-list li label"
SECRETS = ["Jekyll", "biopsy", "results", "tomorrow", "Call Dr"]


@pytest.mark.parametrize("framework", FRAMEWORKS)
def test_todomvc_framework_example(
    capturing, pages, todomvc_dir, live_server, queued_events, run_workers, framework
):
    """A typed item clicked, toggled, edited and filtered never leaves, whatever renders it."""
    pages.mount(f"/todomvc-{framework}", todomvc_dir.parent / framework)
    page = open_app(capturing, pages, queued_events, f"/todomvc-{framework}/index.html")
    page.wait_for_selector(NEW)
    type_into(page, NEW, "Call Dr Jekyll re biopsy results", enter=True)
    page.wait_for_selector(ITEM)
    page.click(ITEM)
    page.click("#todo-list li .toggle")
    page.dblclick(ITEM)
    # Some examples focus the edit field a moment later (a directive's timeout): click into it,
    # at its end, as a person would.
    page.click("#todo-list li.editing .edit")
    page.keyboard.press("End")
    page.keyboard.type(" tomorrow")
    page.keyboard.press("Enter")
    wait_for(lambda: "tomorrow" in page.inner_text("#todo-list"), 10, message="the edit was saved")
    page.click("#filters >> text=Active")
    arrived(queued_events, "route_change")
    item = arrived(queued_events, "click", target__tag="label")
    assert item[0]["target"]["label"] == "[content]", item[0]["target"]
    assert of_type(queued_events(), "click", target__tag="input"), "the toggle's click is missing"
    assert_nothing_leaked(capturing, live_server, run_workers, SECRETS)
