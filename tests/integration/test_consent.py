"""Consent: opt-in per category, versioned by policy, GPC/DNT, live everywhere, retroactive."""

from __future__ import annotations

import json

import pytest

from backend.core import keys
from backend.core.drops import pending_by_reason
from backend.core.vocabulary import CATEGORIES
from tests.helpers import WSClient, make_event
from tests.integration.me_helpers import clicks, queue_raw, send, stage_all

ALL_OFF = dict.fromkeys(CATEGORIES, False)


@pytest.fixture
def alice(employee):
    """alice, enrolled under the test policy, with no consent yet."""
    return employee("alice", "sales")


def test_everything_is_off_until_the_employee_turns_it_on(admin, alice):
    """A new employee has granted nothing."""
    view = admin.call("GET", "/me/api/consent", token=alice)
    assert view["categories"] == ALL_OFF
    assert view["policy"]["purpose"] == "Tests"


def test_consent_off_means_nothing_is_sealed(redis_conn, live_server, alice, run_workers):
    """Without consent the backend refuses the events and the worker drops any that got in."""
    ack = send(live_server, alice, clicks(3))
    assert ack["accepted"] == 0 and {r["code"] for r in ack["rejected"]} == {"no_consent"}
    queue_raw(redis_conn, "alice", clicks(2), team="sales")  # as if a backend had let them in
    assert run_workers() == []
    assert pending_by_reason(redis_conn) == {"no_consent": 2}


def test_consent_on_means_sealed(live_server, admin, alice, run_workers):
    """Events of a granted category are sealed; other categories are not."""
    admin.set_consent(alice, {"clicks": True})
    events = [*clicks(2), make_event("scroll")]
    assert send(live_server, alice, events)["accepted"] == 2
    assert sorted(r["id"] for r in run_workers()) == sorted(e["id"] for e in events[:2])


def test_policy_change_lapses_consent_until_confirmed(live_server, admin, alice, run_workers):
    """A new purpose withdraws every grant (ledger says why); nothing seals until re-granted."""
    admin.set_consent(alice, {"clicks": True, "scroll": True})
    old_version = admin.call("GET", "/admin/api/policy")["version"]
    new = admin.set_policy(purpose="Tests, and now also a new purpose")
    assert new["version"] != old_version

    assert admin.call("GET", "/me/api/consent", token=alice)["categories"] == ALL_OFF
    lapse = admin.call("GET", "/me/api/overview", token=alice)["ledger"][-1]
    assert lapse["by"] == "policy" and lapse["reason"] == "policy_changed"
    assert lapse["withdrawn"] == ["clicks", "scroll"] and lapse["policy_version"] == new["version"]
    assert send(live_server, alice, clicks(2))["accepted"] == 0
    assert run_workers() == []

    admin.set_consent(alice, {"clicks": True})
    confirm = admin.call("GET", "/me/api/overview", token=alice)["ledger"][-1]
    assert confirm["granted"] == ["clicks"] and confirm["policy_version"] == new["version"]
    events = clicks(2)
    assert send(live_server, alice, events, seq=2)["accepted"] == 2
    assert sorted(r["id"] for r in run_workers()) == sorted(e["id"] for e in events)


def test_dropping_a_category_from_the_policy_lapses_only_that_one(admin, alice):
    """When the policy stops asking for a category, only that grant lapses."""
    admin.set_consent(alice, {"clicks": True, "scroll": True})
    admin.set_policy(categories=["clicks", "navigation"])
    granted = admin.call("GET", "/me/api/consent", token=alice)["categories"]
    assert granted == {**ALL_OFF, "clicks": True}
    err = admin.call(
        "PUT", "/me/api/consent", {"categories": {"scroll": True}}, token=alice, expect=(422,)
    )
    assert err["code"] == "not_asked"


@pytest.mark.parametrize("signal", ["gpc", "dnt"])
def test_privacy_signal_needs_confirmation_and_is_in_the_ledger(live_server, admin, alice, signal):
    """With GPC or DNT on, enabling needs `confirm`; the ledger records the signal."""
    client = WSClient(live_server.ws_url)
    client.hello(alice, signals={"gpc": signal == "gpc", "dnt": signal == "dnt"})
    try:
        body = {"categories": {"clicks": True}}
        err = admin.call("PUT", "/me/api/consent", body, token=alice, expect=(409,))
        assert err["code"] == "confirmation_required" and "confirm" in err["errors"]
        assert admin.call("GET", "/me/api/consent", token=alice)["categories"]["clicks"] is False
        assert admin.call("GET", "/me/api/overview", token=alice)["ledger"] == []

        done = admin.set_consent(alice, {"clicks": True}, confirm=True)
        assert done["categories"]["clicks"] is True
        (entry,) = admin.call("GET", "/me/api/overview", token=alice)["ledger"]
        assert entry["signals"][signal] is True and entry["confirmed"] is True
        # The export lists the device with the signals it sent.
        (device,) = admin.call("GET", "/me/api/data", token=alice)["devices"]
        assert device["signals"] == {"gpc": signal == "gpc", "dnt": signal == "dnt"}
        # Turning something off never needs a confirmation.
        assert admin.set_consent(alice, {"clicks": False})["withdrawn"] == ["clicks"]
    finally:
        client.close()


@pytest.mark.parametrize("value", ["yes", "on", 1, "true"])
def test_consent_needs_a_json_true(admin, alice, value):
    """ "yes", "on", 1 grant nothing: a 422 naming the field, and clicks stay off."""
    body = {"categories": {"clicks": value}}
    err = admin.call("PUT", "/me/api/consent", body, token=alice, expect=(422,))
    assert err["code"] == "invalid_request" and "categories" in err["errors"]
    assert admin.call("GET", "/me/api/consent", token=alice)["categories"]["clicks"] is False
    body = {"categories": {"clicks": True}, "confirm": value}
    err = admin.call("PUT", "/me/api/consent", body, token=alice, expect=(422,))
    assert "confirm" in err["errors"]


@pytest.mark.parametrize("value", ["no", 0, "false"])
def test_withdrawal_needs_a_json_false(admin, alice, value):
    """ "no" or 0 withdraw nothing either: a 422, and the grant stands."""
    admin.set_consent(alice, {"clicks": True})
    body = {"categories": {"clicks": value}}
    admin.call("PUT", "/me/api/consent", body, token=alice, expect=(422,))
    assert admin.call("GET", "/me/api/consent", token=alice)["categories"]["clicks"] is True


def test_hello_signals_must_be_json_booleans(live_server, alice):
    """A hello with "gpc": "yes" is refused (bad_hello naming signals), not read as on."""
    client = WSClient(live_server.ws_url)
    try:
        client.send({"type": "hello", "token": alice, "signals": {"gpc": "yes"}})
        err = client.recv_type("error")
        assert err["code"] == "bad_hello" and "signals" in err["message"]
    finally:
        client.close()


def test_withdrawal_purges_unsealed_events_of_that_category(redis_conn, admin, alice, run_workers):
    """Withdrawing clicks deletes alice's queued and staged clicks; her scrolls and bob's stay."""
    admin.set_consent(alice, {"clicks": True, "scroll": True})
    bob = admin.enroll("bob", "sales")
    admin.set_consent(bob, {"clicks": True})
    queue_raw(redis_conn, "alice", clicks(3), team="sales")
    queue_raw(redis_conn, "bob", clicks(2), team="sales")
    stage_all(redis_conn)
    scroll = make_event("scroll")
    queue_raw(redis_conn, "alice", [*clicks(2), scroll], team="sales")

    done = admin.set_consent(alice, {"clicks": False})

    assert done["withdrawn"] == ["clicks"] and done["purged"] == 5
    left = [json.loads(x) for x in redis_conn.lrange(keys.KEY_INCOMING, 0, -1)]
    left += [json.loads(x) for x in redis_conn.lrange(keys.KEY_STAGING, 0, -1)]
    assert sorted((x["e"], x["c"]) for x in left) == [
        ("alice", "scroll"),
        ("bob", "clicks"),
        ("bob", "clicks"),
    ]
    sealed = run_workers()
    assert sorted(r["type"] for r in sealed) == ["click", "click", "scroll"]
    assert admin.call("GET", "/me/api/overview", token=alice)["ledger"][-1]["withdrawn"] == [
        "clicks"
    ]


def test_consent_change_reaches_every_device_of_the_employee(live_server, admin, alice):
    """Both of alice's devices get the `consent` frame at once; bob's device gets nothing."""
    second = admin.enroll("alice", "sales")  # a second device of alice
    bob = admin.enroll("bob", "sales")
    clients = {name: WSClient(live_server.ws_url) for name in ("laptop", "desktop", "bob")}
    try:
        for name, token in (("laptop", alice), ("desktop", second), ("bob", bob)):
            clients[name].hello(token)
        admin.set_consent(alice, {"clicks": True, "focus": True})
        for name in ("laptop", "desktop"):
            frame = clients[name].recv_type("consent", timeout=5)
            assert frame["categories"] == {**ALL_OFF, "clicks": True, "focus": True}
        with pytest.raises(TimeoutError):
            clients["bob"].recv_type("consent", timeout=0.5)
        # And the backend applies it at once: the next frame's clicks are accepted.
        assert clients["laptop"].send_events(1, clicks(1))["accepted"] == 1
        admin.set_consent(alice, {"clicks": False})
        assert clients["desktop"].recv_type("consent")["categories"]["clicks"] is False
        ack = clients["laptop"].send_events(2, clicks(1))
        assert ack["accepted"] == 0 and ack["rejected"][0]["code"] == "no_consent"
    finally:
        for client in clients.values():
            client.close()


def test_ledger_is_append_only_and_names_the_device(redis_conn, admin, alice):
    """Each change adds an entry (who, what, policy version, when, device); none is rewritten."""
    admin.set_consent(alice, {"clicks": True})
    first = redis_conn.lrange(keys.key(keys.KEY_LEDGER, employee="alice"), 0, -1)
    admin.set_consent(alice, {"clicks": False, "scroll": True})
    admin.set_consent(alice, {"scroll": True})  # no change: no entry
    after = redis_conn.lrange(keys.key(keys.KEY_LEDGER, employee="alice"), 0, -1)
    assert after[: len(first)] == first and len(after) == 2
    entry = json.loads(after[1])
    assert entry["by"] == "alice" and entry["device"].startswith("dev_")
    assert entry["granted"] == ["scroll"] and entry["withdrawn"] == ["clicks"]
    assert entry["policy_version"] and entry["at"] > 0
