"""The accept script on a real Redis: every category granted, some granted, paused, revoked.

The script pushes a frame's entries straight from its arguments when every category of the
frame is granted, and picks them one by one otherwise (backend/core/intake.py).
"""

from __future__ import annotations

import pytest

from backend.core import keys
from backend.core.employees import Identity
from backend.core.intake import Intake, RevokedError
from backend.core.records import Entry
from tests.helpers import make_event

ORIGINS = ("https://app.example.com",)
ALICE = Identity(employee="alice", team="sales", device="dev_1")


def episode(event: dict) -> dict:
    return {**event, "session": "s_session1", "tab": "t_tab00001", "page": "p_page0001", "step": 1}


def grant(r, *categories: str) -> None:
    r.hset(keys.key(keys.KEY_CONSENT, employee="alice"), mapping=dict.fromkeys(categories, 1))


def queued(r) -> list[Entry]:
    return [Entry.decode(raw) for raw in reversed(r.lrange(keys.KEY_INCOMING, 0, -1))]


def test_every_category_granted_queues_the_frame_in_order(redis_conn):
    drains = []
    intake = Intake(redis_conn, lambda: drains.append(1))
    grant(redis_conn, "clicks", "navigation", "scroll")
    events = [
        episode(make_event(kind)) for kind in ("click", "page_view", "click", "scroll", "page_view")
    ]
    ack = intake.accept(ALICE, 3, events, ORIGINS, policy_version="v1")
    assert ack == {"type": "ack", "seq": 3, "accepted": 5, "rejected": []}
    got = queued(redis_conn)
    assert [e.event["id"] for e in got] == [e["id"] for e in events]
    assert [e.category for e in got] == ["clicks", "navigation", "clicks", "scroll", "navigation"]
    assert {(e.employee, e.team, e.device, e.policy_version) for e in got} == {
        ("alice", "sales", "dev_1", "v1")
    }
    assert drains == [1]


def test_categories_not_granted_are_refused_one_by_one(redis_conn):
    intake = Intake(redis_conn, lambda: None)
    grant(redis_conn, "clicks")
    events = [episode(make_event(kind)) for kind in ("page_view", "click", "scroll", "click")]
    events.insert(2, {"type": "click"})  # invalid: rejected before the script
    ack = intake.accept(ALICE, 1, events, ORIGINS)
    assert ack["accepted"] == 2
    assert [(r["index"], r["code"]) for r in ack["rejected"]] == [
        (0, "no_consent"),
        (2, "invalid_event"),
        (3, "no_consent"),
    ]
    assert [e.event["id"] for e in queued(redis_conn)] == [events[1]["id"], events[4]["id"]]


def test_nothing_granted_queues_nothing(redis_conn):
    intake = Intake(redis_conn, lambda: None)
    ack = intake.accept(ALICE, 1, [episode(make_event("click"))], ORIGINS)
    assert ack["accepted"] == 0 and ack["rejected"][0]["code"] == "no_consent"
    assert redis_conn.llen(keys.KEY_INCOMING) == 0


def test_paused_and_revoked_frames_queue_nothing(redis_conn):
    intake = Intake(redis_conn, lambda: None)
    grant(redis_conn, "clicks")
    redis_conn.hset(keys.KEY_PAUSES_ACTIVE, "team:sales", "p_1")
    ack = intake.accept(ALICE, 1, [episode(make_event("click"))], ORIGINS)
    assert ack["rejected"] == [{"index": 0, "code": "paused", "errors": {"pause_id": ["p_1"]}}]
    redis_conn.delete(keys.KEY_PAUSES_ACTIVE)
    with pytest.raises(RevokedError):
        intake.accept(ALICE, 2, [episode(make_event("click"))], ORIGINS, token_hash="gone")
    assert redis_conn.llen(keys.KEY_INCOMING) == 0


def test_a_url_with_the_default_port_has_the_allowed_origin(redis_conn):
    """`https://app.example.com:443/x` is on `https://app.example.com`: accepted."""
    intake = Intake(redis_conn, lambda: None)
    grant(redis_conn, "clicks")
    events = [
        episode(make_event(url="https://app.example.com:443/x")),
        episode(make_event(url="https://app.example.com:8443/x")),
    ]
    ack = intake.accept(ALICE, 1, events, ORIGINS)
    assert ack["accepted"] == 1
    assert [(r["index"], r["code"]) for r in ack["rejected"]] == [(1, "origin_not_allowed")]
    # Queued as a browser writes it: without the default port.
    assert [e.event["url"] for e in queued(redis_conn)] == ["https://app.example.com/x"]
