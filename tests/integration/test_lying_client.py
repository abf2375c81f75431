"""A client that lies (or has a bug) gets nothing through: the server redacts and validates."""

import json

from tests.conftest import WORK_ORIGIN
from tests.helpers import WSClient, make_event


def test_what_the_extension_would_have_masked_is_masked_at_sealing(live_server, admin, run_workers):
    """Encoded or full-width e-mails, phones, foreign or data: referrers never reach a shard."""
    admin.set_policy()
    token = admin.enroll("alice")
    admin.set_consent(token, {"clicks": True, "navigation": True})
    c = WSClient(live_server.ws_url)
    c.hello(token)
    events = [
        make_event(
            "page_view",
            url=f"{WORK_ORIGIN}/u/jane.doe%2540corp.example",
            referrer="https://mail.example.org/inbox/jane.doe/42",
            title="Call 555-123-4567",
        ),
        make_event(
            "page_view",
            url=f"{WORK_ORIGIN}/x",
            referrer="data:text/plain,Patient%20Jane%20diagnosis",
            title="jane\uff20corp.example",
        ),
        make_event(
            "click", target={"selector": "#a", "tag": "button", "role": "jane@corp.example"}
        ),
        make_event("click", target={"selector": "#a", "tag": "12345678"}),
    ]
    ack = c.send_events(1, events)
    assert ack["accepted"] == 2
    assert [(r["index"], r["code"]) for r in ack["rejected"]] == [
        (2, "invalid_event"),
        (3, "invalid_event"),
    ]
    records = {r["id"]: r for r in run_workers()}
    first, second = records[events[0]["id"]], records[events[1]["id"]]
    # Rare words may also be masked ([rare], docs/privacy.md); what matters is what is gone.
    assert first["url"].startswith(WORK_ORIGIN + "/") and first["url"].endswith("/[email]")
    assert first["referrer"] == "https://mail.example.org/"
    assert first["title"].endswith("[phone]") and "555" not in first["title"]
    assert second["referrer"] == "data:" and second["title"] == "[email]"
    text = json.dumps([first, second])
    assert "jane" not in text and "corp" not in text and "Patient" not in text
    c.close()


def test_a_change_on_a_text_field_is_refused_and_the_rest_sealed(live_server, admin, run_workers):
    """A change whose target is a text input is refused on its own: what was typed is never
    sealed, however many people send it; the select's change in the same frame is kept."""
    admin.set_policy()
    token = admin.enroll("alice")
    admin.set_consent(token, {"forms": True})
    c = WSClient(live_server.ws_url)
    c.hello(token)
    notes = {"selector": "#notes", "tag": "input", "role": "textbox", "label": "Notes"}
    typed = make_event("change", target=notes, value="my secret diary note")
    chosen = make_event("change")  # a select's option (tests/helpers.py)
    ack = c.send_events(1, [typed, chosen])
    assert ack["accepted"] == 1
    (refused,) = ack["rejected"]
    assert (refused["index"], refused["code"]) == (0, "invalid_event")
    assert set(refused["errors"]) == {"target"}
    records = run_workers()
    assert [r["id"] for r in records] == [chosen["id"]]
    assert "diary" not in json.dumps(records)
    c.close()
