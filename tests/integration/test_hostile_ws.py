"""/ws under hostile frames: each gets an ack or a typed error; socket and log stay sane."""

import json
import logging

import pytest

from tests.helpers import WSClient, http, make_event


@pytest.fixture
def employee(admin):
    """An enrolled employee who consented to clicks on the work app."""
    admin.set_policy()
    token = admin.enroll("alice", "sales")
    admin.set_consent(token, {"clicks": True})
    return token


@pytest.fixture
def client(live_server, employee):
    """An authenticated client."""
    c = WSClient(live_server.ws_url)
    c.hello(employee)
    yield c
    c.close()


def nested(depth: int) -> str:
    return '{"a":' * depth + "1" + "}" * depth


@pytest.mark.parametrize(
    ("frame", "code"),
    [
        ('{"type": {}}', "unknown_frame"),
        ('{"type": []}', "unknown_frame"),
        ('{"type": ["events"]}', "unknown_frame"),
        ('{"type": 1e400}', "bad_json"),
        ('{"type": NaN}', "bad_json"),
        ('{"type": "ping", "x": ' + "1" * 5000 + "}", "bad_json"),
        ('{"type": "events", "seq": {}, "events": []}', "bad_frame"),
        ('{"type": "events", "seq": 1, "events": {}}', "bad_frame"),
        ('{"type": "pause_applied", "pause_id": {}}', "bad_frame"),
        ('{"type": "pause_applied", "pause_id": "\\ud800"}', "bad_string"),
        ('{"type": "ping", "\\udfff": 1}', "bad_string"),
        (nested(40), "too_deep"),
        (nested(30_000), "too_deep"),
        ("[" * 200_000, "too_deep"),
    ],
)
def test_hostile_frame_gets_a_typed_error(client, frame, code):
    """Unhashable, non-finite, huge, deep or unencodable input: a typed error, the socket lives."""
    client.send(frame)
    assert client.recv_type("error")["code"] == code
    assert client.send_events(1, [make_event()])["accepted"] == 1


def test_lone_surrogate_rejects_only_its_event(client, queued_events):
    """An event with a lone surrogate is rejected as bad_string; its neighbours are queued."""
    good = make_event()
    bad = make_event(url="https://app.example.com/p\ud800q")
    key = {**make_event(), "target": {"selector": "#a", "tag": "a", "\udc00": "x"}}
    frame = json.dumps({"type": "events", "seq": 4, "events": [bad, good, key]})
    client.send(frame)
    ack = client.recv_type("ack")
    assert ack["accepted"] == 1
    assert [(r["index"], r["code"]) for r in ack["rejected"]] == [
        (0, "bad_string"),
        (2, "bad_string"),
    ]
    assert [e["id"] for e in queued_events()] == [good["id"]]


@pytest.mark.parametrize(
    "event",
    [
        {"type": {}},
        {"type": "click", "id": {}, "ts": [], "url": {}},
        {"type": "click", "target": {"selector": {}, "tag": [], "role": {"a": 1}}},
        {"type": "scroll", "depth": 1e308},
        {"type": "scroll", "ts": 2**70, "depth": 2**70},
        {"type": "visibility", "state": {"visible": True}},
    ],
)
def test_unhashable_and_huge_values_in_events(client, event):
    """Wrong-typed values where scalars belong reject the event with a typed code."""
    ack = client.send_events(2, [{**make_event(), **event}])
    assert ack["accepted"] == 0 and ack["rejected"][0]["code"] in ("invalid_event", "unknown_type")


@pytest.mark.parametrize(
    "frame",
    [
        '{"type": {}}',
        nested(50),
        '{"type": "hello", "token": "\\ud800"}',
        '{"type": "hello", "token": {}}',
    ],
)
def test_frames_before_hello(live_server, frame):
    """Hostile frames before hello: a typed error frame, then close 1008 or a typed error."""
    c = WSClient(live_server.ws_url)
    c.send(frame)
    assert c.recv_type("error")["code"] in ("hello_required", "too_deep", "bad_string", "bad_hello")
    c.close()
    assert http("GET", live_server.http_url + "/healthz")[0] == 200


def test_no_traceback_per_frame(client, caplog):
    """Hostile frames leave no tracebacks in the log."""
    caplog.set_level(logging.INFO)
    for frame in (
        '{"type": {}}',
        nested(100),
        '{"type": "events", "seq": 1, "events": [{"type": []}]}',
    ):
        client.send(frame)
        client.recv()
    assert "Traceback" not in caplog.text
    assert not [r for r in caplog.records if r.exc_info]
