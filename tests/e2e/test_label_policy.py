"""The label policy in real Chromium, on apps no capture rule was tuned to (docs/privacy.md).

Each test types into an app that shows the text back (a to-do list, a ticket tracker, a chat, a CRM
table, a labelled form, the TodoMVC example from npm), clicks around, then checks every frame the
server received and every sealed record: no typed string, no customer name, while the expected
events (clicks on the item, the column's structural label, the submit by its button) do arrive.
"""

from __future__ import annotations

from tests.e2e.e2e_harness import type_into, wait_for
from tests.e2e.events_helpers import leaked_words, of_type


def arrived(queued_events, kind, timeout=10.0, **match):
    """Wait until an accepted event of `kind` matching `match` is in Redis; return them."""
    return wait_for(
        lambda: of_type(queued_events(), kind, **match), timeout, message=f"{kind} {match}"
    )


def open_app(browser, pages, queued_events, path):
    """Open a page and wait for its page view (the content script is listening by then)."""
    page = browser.open(pages.url(path))
    arrived(queued_events, "page_view")
    return page


def assert_nothing_leaked(browser, live_server, run_workers, secrets) -> list[dict]:
    """No secret in any frame received or any sealed record; return the sealed records."""
    wait_for(lambda: browser.outbox_size() == 0, 10, message="outbox drained")
    assert leaked_words(live_server.frames, secrets) == []
    records = run_workers()
    assert records, "the workers sealed nothing, so the shard check would prove nothing"
    assert leaked_words(records, secrets) == []
    return records


def set_policy(admin, **changes) -> dict:
    """Change some fields of the current policy through the admin API."""
    policy = admin.call("GET", "/admin/api/policy")
    body = {k: policy[k] for k in ("categories", "purpose", "retention_days", "allowed_origins")}
    return admin.call("PUT", "/admin/api/policy", {**body, **changes})


def sealed(records, kind, **match) -> list[dict]:
    """Sealed records of `kind` matching `match` (the record keeps the event's fields)."""
    return of_type(records, kind, **match)


def test_todo_item_typed_then_clicked_toggled_edited(
    capturing, pages, live_server, queued_events, run_workers
):
    """A typed to-do item is clicked, toggled and edited: clicks arrive, the text never does."""
    page = open_app(capturing, pages, queued_events, "/labels/todo.html")
    type_into(page, "#new-task", "Call Dr Jekyll re biopsy results", enter=True)
    page.click("#tasks li label")
    page.click("#tasks li .toggle")
    type_into(page, "#tasks li .edit", " overnight", enter=True)
    page.click("#add")  # after the edit, the title shows the edited item
    clicks = arrived(queued_events, "click", target__label="Add task")
    assert clicks[-1]["title"] == "[typed] - Tasks"
    item = arrived(queued_events, "click", target__tag="label")[0]
    assert item["target"]["label"] == "[content]"
    assert item["target"]["selector"] == "#tasks > li > label"
    arrived(queued_events, "click", target__selector="#tasks > li > input")
    secrets = ["Jekyll", "biopsy", "results", "overnight", "Call Dr", "call-dr"]
    records = assert_nothing_leaked(capturing, live_server, run_workers, secrets)
    assert sealed(records, "click", target__label="[content]")


def test_ticket_title_shown_in_heading_title_and_route(
    capturing, pages, live_server, queued_events, run_workers
):
    """A typed ticket title shown as heading, document.title and #/route never leaves."""
    page = open_app(capturing, pages, queued_events, "/labels/tickets.html")
    type_into(page, "#title", "Refund Mrs Hudson twice")
    type_into(page, "#body", "She paid for the violin lessons in advance")
    page.click("#create")
    submit = arrived(queued_events, "submit")[0]
    assert submit["target"]["label"] == "Create ticket"
    route = arrived(queued_events, "route_change")[0]
    assert route["url"] == pages.url("/labels/tickets.html#/tickets/[typed]")
    assert route["from"] != route["url"]
    page.click("#heading")
    page.click("#assign")
    page.click("#close")
    closing = arrived(queued_events, "click", target__label="Close ticket")[0]
    # The heading names the ticket, so the title's copy of it is [content] (title-policy.js)
    # before its typed words are masked.
    assert closing["title"] == "[content] · Tickets"
    assign = arrived(queued_events, "click", target__selector="#assign")[0]
    assert assign["target"]["label"] == "Assign [typed] to me"
    secrets = ["Hudson", "Refund", "twice", "violin", "lessons", "advance"]
    assert_nothing_leaked(capturing, live_server, run_workers, secrets)


def test_chat_composer_and_message_list(capturing, pages, live_server, queued_events, run_workers):
    """A contenteditable composer's words never leave, in the log, the title or labels."""
    page = open_app(capturing, pages, queued_events, "/labels/chat.html")
    type_into(page, "#composer", "Meet me at Baker Street tonight", enter=True)
    page.click("#messages .text")
    page.click("#messages .react")
    page.click("#send")
    send = arrived(queued_events, "click", target__label="Send")[0]
    assert send["title"] == "You: [typed] - Team chat"
    in_log = arrived(queued_events, "click", target__label="[content]")
    assert {e["target"]["tag"] for e in in_log} >= {"span", "button"}
    composer = arrived(queued_events, "click", target__selector="#composer")[0]
    assert composer["target"]["label"] == "[content]"
    secrets = ["Baker", "Street", "tonight", "Meet me"]
    assert_nothing_leaked(capturing, live_server, run_workers, secrets)


def test_crm_table_names_become_their_column(
    capturing, pages, admin, live_server, queued_events, run_workers
):
    """Customer names in a table are labelled by their column header, ids in rows are not used."""
    set_policy(admin, min_contributors=1)  # one employee here: let the rarity gate keep words
    page = open_app(capturing, pages, queued_events, "/labels/crm.html")
    type_into(page, "#search", "Quist")
    page.click("text=Jane Doe")
    page.click("text=Umbrella Pharma")
    page.click("tr:nth-child(2) button")
    page.click("thead th:nth-child(1)")
    page.click("#export")
    arrived(queued_events, "click", target__label="Export")
    names = arrived(queued_events, "click", target__label="Name column")
    assert names[0]["target"]["tag"] == "a"
    arrived(queued_events, "click", target__label="Company column")
    arrived(queued_events, "click", target__label="Actions column")
    arrived(queued_events, "click", target__label="Name", target__tag="th")
    arrived(queued_events, "route_change", url=pages.url("/labels/crm.html#/contacts/17"))
    secrets = ["Jane", "Doe", "Bartholomew", "Quist", "Umbrella", "Pharma"]
    records = assert_nothing_leaked(capturing, live_server, run_workers, secrets)
    assert sealed(records, "click", target__label="Name column")


def test_labelled_form_submits_by_its_button(
    capturing, pages, live_server, queued_events, run_workers
):
    """Fields are named by their labels, the submit by its button, never by the form's text."""
    page = open_app(capturing, pages, queued_events, "/labels/lead.html")
    type_into(page, "#name", "Irene Adler")
    type_into(page, "#email", "irene@adler.example")
    type_into(page, "#password", "Sherlocked221")
    type_into(page, "#notes", "Prefers evening calls")
    page.click("#save")
    submit = arrived(queued_events, "submit")[0]
    assert submit["target"] == {
        "selector": "#lead",
        "tag": "form",
        "role": "form",
        "label": "Save lead",
    }
    assert submit["fields"] == 4
    arrived(queued_events, "click", target__selector="#name", target__label="Name")
    arrived(queued_events, "click", target__selector="#notes", target__label="Notes")
    secrets = ["Irene", "Adler", "Sherlocked", "Prefers", "evening"]
    assert_nothing_leaked(capturing, live_server, run_workers, secrets)


def test_typed_words_stay_masked_in_another_tab_and_later_pages(
    capturing, pages, live_server, queued_events, run_workers
):
    """Words typed in one tab are masked when another tab, or a later page, shows them."""
    first = open_app(capturing, pages, queued_events, "/labels/todo.html")
    type_into(first, "#new-task", "Moriarty falls", enter=True)
    second = capturing.open(pages.url("/labels/tickets.html"))
    wait_for(lambda: len(of_type(queued_events(), "page_view")) >= 2, 10, message="second page")
    second.evaluate(
        "document.getElementById('close').hidden = false;"
        "document.getElementById('ticket').hidden = false;"
        "document.getElementById('close').title = 'Close Moriarty falls';"
        "document.title = 'Moriarty - Tickets'"
    )
    second.click("#close")
    later = arrived(queued_events, "click", target__selector="#close")[0]
    assert later["target"]["label"] == "Close [typed]"
    assert later["title"] == "[typed] - Tickets"
    assert_nothing_leaked(capturing, live_server, run_workers, ["Moriarty", "falls"])


# --- The TodoMVC example from npm: an app nobody here wrote -------------------------------------


def test_todomvc_from_npm(capturing, pages, todomvc_dir, live_server, queued_events, run_workers):
    """TodoMVC: a typed item clicked, toggled, edited and filtered never leaves as a label."""
    pages.mount("/todomvc", todomvc_dir)
    page = open_app(capturing, pages, queued_events, "/todomvc/index.html")
    type_into(page, "#new-todo", "Call Dr Jekyll re biopsy results", enter=True)
    page.wait_for_selector("#todo-list li label")
    page.click("#todo-list li label")
    page.click("#todo-list li .toggle")
    page.dblclick("#todo-list li label")
    page.keyboard.type(" tomorrow")
    page.keyboard.press("Enter")
    page.click("a[href='#/active']")
    arrived(queued_events, "route_change", url=pages.url("/todomvc/index.html#/active"))
    item = arrived(queued_events, "click", target__tag="label", target__label="[content]")
    assert "todo-list" in item[0]["target"]["selector"]
    arrived(queued_events, "click", target__tag="input", target__label="[content]")
    secrets = ["Jekyll", "biopsy", "results", "tomorrow", "Call Dr"]
    assert_nothing_leaked(capturing, live_server, run_workers, secrets)


def test_mask_selectors_apply_live(capturing, pages, admin, queued_events):
    """An admin's mask_selectors reach the open tab at once: the element gets [content]."""
    page = open_app(capturing, pages, queued_events, "/app/clicks")
    page.click("#save")
    arrived(queued_events, "click", target__label="Save draft")
    set_policy(admin, mask_selectors=["#toolbar"])
    wait_for(lambda: capturing.gate().get("mask_selectors"), 10, message="policy pushed")
    page.click("#save")
    masked = arrived(queued_events, "click", target__label="[content]")[0]
    assert masked["target"]["tag"] == "button"


def test_typing_on_other_sites_is_not_watched(capturing, pages, queued_events):
    """Only work-app sites are watched: typing elsewhere adds no hash; on the work app it does."""

    def hashes() -> int:
        got = capturing.evaluate("chrome.storage.session.get('overt.typed')")
        return len((got.get("overt.typed") or {}).get("hashes", []))

    other = capturing.open(pages.url("/labels/todo.html").replace("127.0.0.1", "localhost"))
    type_into(other, "#new-task", "elsewhere words", enter=True)
    work = open_app(capturing, pages, queued_events, "/labels/todo.html")
    type_into(work, "#new-task", "work words", enter=True)
    wait_for(lambda: hashes() == 2, 10, message="two hashes: work, words")


def test_typed_search_in_the_next_page_address(
    capturing, pages, live_server, queued_events, run_workers
):
    """A search typed on one page and put in the next page's path arrives as [typed]."""
    page = open_app(capturing, pages, queued_events, "/labels/search.html")
    type_into(page, "#q", "Inspector Lestrade", enter=True)
    arrived(queued_events, "page_view", url=pages.url("/app/people/[typed]"))
    submit = arrived(queued_events, "submit")[0]
    assert submit["target"]["label"] == "Go"
    assert_nothing_leaked(capturing, live_server, run_workers, ["Inspector", "Lestrade"])
