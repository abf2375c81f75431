"""Nothing sensitive leaves the browser: not in any frame the server received, not in a shard."""

from __future__ import annotations

from tests.e2e.e2e_harness import type_into, wait_for
from tests.e2e.events_helpers import leaked_words, of_type, sent_events

SECRETS = (
    "jane.secret@example.com",
    "jane.secret",
    "4111 1111 1111 1111",
    "4111111111111111",
    "1111 1111",
    "98765432",
    "SECRET-TOKEN",
    "frag-secret",
    "typed-secret-words",
    "hunter2-password",
    "hidden-sess",
    "placeholder-secret",
    "more typed secret",
)
SEEDED_PATH = (
    "/secrets/98765432/jane.secret@example.com?token=SECRET-TOKEN-abc123&view=1#frag-secret"
)


def leaked(texts) -> list[str]:
    return leaked_words(texts, SECRETS, ignore_case=False)


def test_seeded_page_leaks_nothing(capturing, pages, live_server, queued_events, run_workers):
    """E-mails, card numbers, a password, typed text and a URL token never reach the server."""
    page = capturing.open(pages.url(SEEDED_PATH))
    wait_for(lambda: of_type(queued_events(), "page_view"), 10, message="page view")
    page.click("#pay")
    page.click("#mail")
    page.click("#order")
    type_into(page, "#user", "typed-secret-words")
    type_into(page, "#password", "hunter2-password")
    type_into(page, "#message", "more typed secret")
    page.click("#login-btn")
    wait_for(lambda: of_type(queued_events(), "submit"), 10, message="submit")
    wait_for(lambda: len(of_type(queued_events(), "input_activity")) >= 2, 10, message="typing")
    wait_for(lambda: capturing.outbox_size() == 0, 10, message="outbox drained")

    assert leaked(live_server.frames) == []
    events = sent_events(live_server)
    pay = of_type(events, "click", target__selector="#pay")[0]
    assert pay["target"]["label"] == "Pay with [card]"
    assert pay["title"] == "Account of [email]"
    assert pay["url"] == pages.url("/secrets/[number]/[email]")
    # No typing count for the password field: even its length stays in the browser.
    typed = {e["target"]["selector"] for e in of_type(events, "input_activity")}
    assert typed == {"#user", "#message"}

    records = run_workers()
    assert records, "the workers sealed nothing, so the shard check would prove nothing"
    assert leaked(records) == []
