"""`backend/core/actions.py`: each action announces its change; the state modules never do."""

from __future__ import annotations

import json

import pytest

from backend.core import actions, audit, keys, pauses, policy
from backend.core.employees import authenticate
from tests.conftest import TEST_POLICY


@pytest.fixture
def control(redis_conn):
    """Return a function listing the control commands published since the fixture started."""
    pubsub = redis_conn.pubsub(ignore_subscribe_messages=True)
    pubsub.subscribe(keys.CHANNEL_CONTROL)
    pubsub.get_message(timeout=1)  # the subscribe confirmation

    def published() -> list[dict]:
        out = []
        while (message := pubsub.get_message(timeout=0.2)) is not None:
            out.append(json.loads(message["data"]))
        return out

    yield published
    pubsub.close()


def test_state_modules_do_not_publish(redis_conn, control):
    """Pausing, resuming and storing a policy below the actions change state, silently."""
    record, created = pauses.pause(redis_conn, {"all": True}, "quiet", False, "test")
    pauses.resume(redis_conn, record["pause_id"])
    policy.put_policy(redis_conn, TEST_POLICY)
    assert created and control() == []


def test_policy_origins_are_stored_without_their_default_port(redis_conn):
    """An origin written with `:443` (https) or `:80` (http) is stored as a browser names it."""
    origins = ["https://app.example.com:443/", "http://intranet:80", "http://intranet:8080"]
    stored, _ = policy.put_policy(redis_conn, {**TEST_POLICY, "allowed_origins": origins})
    assert stored["allowed_origins"] == [
        "http://intranet",
        "http://intranet:8080",
        "https://app.example.com",
    ]


def test_pause_and_resume_announce_and_audit(redis_conn, control):
    """actions.pause publishes the pause frame once; a second pause of the scope does not."""
    record, created, _ = actions.pause(redis_conn, "admin", {"team": "sales"}, "why")
    again, created_again, _ = actions.pause(redis_conn, "admin", {"team": "sales"}, "why")
    actions.resume(redis_conn, "cli", record["pause_id"])
    kinds = [(c["kind"], c["scope"]) for c in control()]
    assert kinds == [("pause", {"team": "sales"}), ("resume", {"team": "sales"})]
    assert created and not created_again and again["pause_id"] == record["pause_id"]
    log = [(e["actor"], e["action"]) for e in audit.read_audit(redis_conn)]
    assert log == [("cli", "resume"), ("admin", "pause"), ("admin", "pause")]


def test_policy_change_announces_the_policy_and_each_lapsed_consent(redis_conn, control, employee):
    """A new purpose lapses every grant: one policy frame, then one consent frame per employee."""
    employee("alice", "sales", ("clicks",))
    employee("bob", "sales", ())
    control()  # forget what setting them up announced
    new = actions.change_policy(redis_conn, "admin", {**TEST_POLICY, "purpose": "Other"})
    commands = control()
    assert [c["kind"] for c in commands] == ["policy", "consent"]
    assert commands[0]["frame"]["version"] == new["version"]
    assert commands[1]["scope"] == {"employee": "alice"}
    assert commands[1]["frame"]["categories"]["clicks"] is False


def test_consent_change_purges_what_is_withdrawn_and_announces(redis_conn, control, employee):
    """Withdrawing a category deletes its queued events and tells the employee's sockets."""
    token = employee("alice", "sales", ("clicks", "scroll"))
    ident = authenticate(redis_conn, token)
    control()
    current = policy.get_policy(redis_conn)
    categories, withdrawn, purged = actions.change_consent(
        redis_conn, ident, {"scroll": False}, current
    )
    assert withdrawn == {"scroll"} and purged == 0 and categories["clicks"] is True
    (command,) = control()
    assert command["kind"] == "consent" and command["scope"] == {"employee": "alice"}
