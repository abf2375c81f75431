"""/ws against a real server and a real Redis: every bad input gets a typed answer."""

import json
import logging
from dataclasses import replace

import pytest
import simple_websocket

from backend import create_app, ingest
from backend.core import keys
from tests.conftest import LiveServer
from tests.helpers import WSClient, http, make_event


@pytest.fixture
def alice(employee):
    """An enrolled employee who consented to clicks and scroll on the work app."""
    return employee("alice", "sales", ("clicks", "scroll"))


@pytest.fixture
def ws(live_server, alice):
    """An authenticated WebSocket client."""
    c = WSClient(live_server.ws_url)
    c.hello(alice)
    yield c
    c.close()


def closed_with(ws: WSClient, timeout=5.0) -> int:
    """Wait for the server to close the socket; return the close code."""
    with pytest.raises(simple_websocket.ConnectionClosed):
        while True:
            if ws.ws.receive(timeout=timeout) is None:
                raise AssertionError("the server did not close the socket")
    return ws.ws.close_reason


def test_ack_only_after_events_are_in_redis(ws, queued_events):
    """The ack counts exactly what is in the Redis queue when it arrives."""
    events = [make_event("click") for _ in range(50)]
    ack = ws.send_events(7, events)
    assert ack == {"type": "ack", "seq": 7, "accepted": 50, "rejected": []}
    assert [e["id"] for e in queued_events()] == [e["id"] for e in events]


def test_malformed_json_keeps_the_connection(ws):
    """Malformed JSON is answered with bad_json and the socket stays usable."""
    ws.send("{not json")
    assert ws.recv_type("error")["code"] == "bad_json"
    assert ws.send_events(1, [make_event()])["accepted"] == 1


@pytest.mark.parametrize("frame", ["[1, 2]", '"hello"', "42", "null"])
def test_non_object_frames(ws, frame):
    """A frame that is not a JSON object is a bad_frame."""
    ws.send(frame)
    assert ws.recv_type("error")["code"] == "bad_frame"


def test_binary_frame(ws):
    """Binary frames are refused; the protocol is JSON text."""
    ws.ws.send(b"\x00\x01")
    assert ws.recv_type("error")["code"] == "bad_frame"


def test_unknown_frame_type(ws):
    """An unknown frame type is named in the error."""
    ws.send({"type": "upload_everything"})
    err = ws.recv_type("error")
    assert err["code"] == "unknown_frame" and "upload_everything" in err["message"]


@pytest.mark.parametrize(
    "frame, message",
    [
        ({"seq": 1}, 'the frame has no "type"'),
        ({"type": 5}, '"type" must be a string, got 5'),
        ({"type": None}, '"type" must be a string, got null'),
        ({"type": ["events"]}, '"type" must be a string, got ["events"]'),
    ],
)
def test_missing_or_mistyped_frame_type(ws, frame, message):
    """A frame without a type, or with a type that is not a string, says which."""
    ws.send(frame)
    err = ws.recv_type("error")
    assert (err["code"], err["message"]) == ("unknown_frame", message)


def test_bad_event_rejects_only_itself(ws, queued_events):
    """Unknown types and bad fields reject those events; the others are queued."""
    good = make_event("click")
    events = [
        {**make_event(), "type": "keystroke"},
        good,
        {**make_event(), "id": 5},
        make_event("scroll", depth="deep"),
        "not an object",
    ]
    ack = ws.send_events(2, events)
    codes = {r["index"]: r["code"] for r in ack["rejected"]}
    assert ack["accepted"] == 1
    assert codes == {0: "unknown_type", 2: "invalid_event", 3: "invalid_event", 4: "invalid_event"}
    assert "depth" in ack["rejected"][2]["errors"]
    assert [e["id"] for e in queued_events()] == [good["id"]]


@pytest.mark.parametrize("bad", [None, 5, True, [], "x"])
def test_non_object_event_rejects_only_itself(ws, queued_events, bad):
    """A null in `events` is an event that is not an object, as 5 or "x": `invalid_event` for it
    alone, its neighbours queued (it was a `too_many_events` error for the whole frame)."""
    first, last = make_event("click"), make_event("scroll", depth=10)
    ack = ws.send_events(4, [first, bad, last])
    assert ack["accepted"] == 2
    assert ack["rejected"] == [
        {"index": 1, "code": "invalid_event", "errors": {"_schema": ["event must be an object"]}}
    ]
    assert [e["id"] for e in queued_events()] == [first["id"], last["id"]]


def test_oversized_strings(ws):
    """Over-long fields are rejected with the field named."""
    event = make_event("click", title="x" * 5000)
    ack = ws.send_events(3, [event])
    assert ack["rejected"][0]["code"] == "invalid_event" and "title" in ack["rejected"][0]["errors"]


def test_huge_events_array(ws, queued_events):
    """More than 100 events in a frame: a typed error with the seq, nothing queued, socket lives."""
    ws.send({"type": "events", "seq": 9, "events": [make_event() for _ in range(101)]})
    err = ws.recv_type("error")
    assert err["code"] == "too_many_events" and err["seq"] == 9
    assert queued_events() == []
    assert ws.send_events(10, [make_event()])["accepted"] == 1


@pytest.mark.parametrize(
    "frame",
    [
        {"type": "events", "events": []},
        {"type": "events", "seq": "1", "events": []},
        {"type": "events", "seq": 1, "events": "all"},
    ],
)
def test_bad_events_envelope(ws, frame):
    """A missing or mistyped seq or events list is a bad_frame."""
    ws.send(frame)
    assert ws.recv_type("error")["code"] == "bad_frame"


@pytest.mark.parametrize("seq", [True, False, 1.5, "1", None, 2**70, -(2**53)])
def test_bad_seq_is_echoed_as_null(ws, seq):
    """Only an integer seq is echoed: a boolean is not one, though Python's bool is an int, and
    one a JavaScript client cannot hold exactly (beyond 2**53 - 1) is not echoed either."""
    ws.send({"type": "events", "seq": seq, "events": []})
    err = ws.recv_type("error")
    assert err["code"] == "bad_frame" and err["seq"] is None, err


@pytest.mark.parametrize(("seq", "code"), [(2**53 - 1, "ack"), (2**53, "error"), (-1, "error")])
def test_seq_is_a_safe_non_negative_integer(ws, seq, code):
    """seq runs from 0 to 2**53 - 1 (Number.MAX_SAFE_INTEGER); beyond, a bad_frame naming seq."""
    ws.send({"type": "events", "seq": seq, "events": []})
    reply = ws.recv_type(code)
    if code == "ack":
        assert reply["seq"] == seq
    else:
        assert reply["code"] == "bad_frame" and "seq" in reply["errors"], reply


def test_oversized_frame_closes_1009(ws):
    """A frame over 1 MiB closes the socket with 1009."""
    ws.send(json.dumps({"type": "events", "seq": 1, "events": ["x" * (1024 * 1024 + 10)]}))
    assert closed_with(ws) == 1009


def test_text_frame_not_utf8_closes_1007(ws):
    """A text frame whose bytes are not UTF-8 closes the socket with 1007 (docs/protocol.md)."""
    payload, mask = b'{"type": "ping", "x": "\xff"}', b"\x01\x02\x03\x04"
    masked = bytes(byte ^ mask[i % 4] for i, byte in enumerate(payload))
    ws.ws.sock.sendall(bytes([0x81, 0x80 | len(payload)]) + mask + masked)  # FIN, text, masked
    assert closed_with(ws) == 1007


def test_frame_before_hello_closes_1008(live_server, queued_events):
    """Anything before hello is refused with hello_required and close 1008."""
    c = WSClient(live_server.ws_url)
    c.send({"type": "events", "seq": 1, "events": [make_event()]})
    assert c.recv_type("error")["code"] == "hello_required"
    assert closed_with(c) == 1008
    assert queued_events() == []


@pytest.mark.parametrize("token", ["ovt_wrong", "", "x" * 500, None])
def test_bad_token_closes_1008(live_server, token):
    """A wrong, empty, oversized or missing token: typed error, close 1008."""
    c = WSClient(live_server.ws_url)
    c.send({"type": "hello", "token": token})
    assert c.recv_type("error")["code"] in ("bad_token", "bad_hello")
    assert closed_with(c) == 1008


@pytest.mark.parametrize(
    "hello, message",
    [
        ({}, "token: Missing data for required field."),
        (
            {"token": "ovt_x", "signals": {"gpc": "yes"}},
            "signals.gpc: Not a valid boolean.",
        ),
    ],
)
def test_bad_hello_says_what_is_wrong_in_words(live_server, hello, message):
    """bad_hello names each refused field and why, readably, and carries them in `errors`."""
    c = WSClient(live_server.ws_url)
    c.send({"type": "hello", **hello})
    err = c.recv_type("error")
    assert (err["code"], err["message"]) == ("bad_hello", f"hello is not valid: {message}")
    field = message.split(":")[0].split(".")[0]
    assert field in err["errors"], err
    assert closed_with(c) == 1008


def test_hello_timeout_says_no_hello(live_server, monkeypatch):
    """A socket that sends no hello in time is told so, with the time it had."""
    monkeypatch.setattr(ingest, "HELLO_TIMEOUT", 0.2)
    c = WSClient(live_server.ws_url)
    err = c.recv_type("error")
    assert (err["code"], err["message"]) == ("timeout", "no hello within 0.2 s")
    assert closed_with(c) == 1008


def test_idle_timeout_says_no_frame(live_server, alice, monkeypatch):
    """An authenticated socket silent too long is told so, with the time it had."""
    monkeypatch.setattr(ingest, "IDLE_TIMEOUT", 0.3)
    c = WSClient(live_server.ws_url)
    c.hello(alice)
    err = c.recv_type("error")
    assert (err["code"], err["message"]) == ("timeout", "no frame for 0.3 s")
    assert closed_with(c) == 1000


def test_timeouts_name_the_documented_times():
    """At the configured times the messages read as docs/protocol.md states them."""
    assert ingest.timeout_message(authenticated=False) == "no hello within 10 s"
    assert ingest.timeout_message(authenticated=True) == "no frame for 60 s"


def test_plain_get_on_ws_asks_for_an_upgrade(live_server):
    """GET /ws without a WebSocket upgrade: 400 in the one error shape, saying what is needed."""
    status, body = http("GET", live_server.ws_url.replace("ws://", "http://"))
    assert status == 400
    assert body["code"] == "bad_request" and body["status"] == 400 and body["errors"] == {}
    assert "WebSocket upgrade" in body["message"], body


def test_revoked_token(live_server, admin, alice):
    """After revocation the token no longer opens a session."""
    admin.call("POST", "/admin/api/employees/alice/revoke")
    c = WSClient(live_server.ws_url)
    c.send({"type": "hello", "token": alice})
    assert c.recv_type("error")["code"] == "bad_token"
    assert closed_with(c) == 1008


def test_identity_comes_from_the_token(ws, redis_conn):
    """employee/team inside an event are ignored; the queue holds the token's identity."""
    ws.send_events(1, [{**make_event(), "employee": "bob", "team": "finance"}])
    (raw,) = redis_conn.lrange(keys.KEY_INCOMING, 0, -1)
    entry = json.loads(raw)
    assert (entry["e"], entry["t"]) == ("alice", "sales")
    assert "employee" not in entry["ev"] and "team" not in entry["ev"]


def test_timestamps_out_of_range(ws):
    """Events far in the future or past are rejected with typed codes."""
    now = make_event()["ts"]
    events = [make_event(ts=now + 3600_000), make_event(ts=now - 30 * 24 * 3600_000)]
    codes = [r["code"] for r in ws.send_events(1, events)["rejected"]]
    assert codes == ["future_timestamp", "stale_timestamp"]


def test_origin_outside_policy_is_refused(ws):
    """Events from a site that is not an allow-listed work app are refused."""
    ack = ws.send_events(1, [make_event(url="https://mail.example.org/inbox")])
    assert ack["rejected"][0]["code"] == "origin_not_allowed"


def test_duplicate_ids_within_a_frame(ws):
    """The same event id twice in one frame is accepted once."""
    event = make_event()
    ack = ws.send_events(1, [event, event])
    assert ack["accepted"] == 1 and ack["rejected"][0]["code"] == "duplicate"


def test_ping_pong(ws):
    """ping is answered with pong."""
    ws.send({"type": "ping"})
    assert ws.recv_type("pong") == {"type": "pong"}


def test_second_hello(ws, alice):
    """A second hello on an authenticated socket is refused but harmless."""
    ws.send({"type": "hello", "token": alice})
    assert ws.recv_type("error")["code"] == "already_authenticated"
    assert ws.send_events(1, [make_event()])["accepted"] == 1


def test_extension_origin_allow_list(redis_conn, settings):
    """With OVERT_ALLOWED_ORIGINS set, other origins are closed with 1008."""
    app = create_app(
        {"OVERT_SETTINGS": replace(settings, allowed_origins=("chrome-extension://a",))}
    )
    server = LiveServer(app).start()
    try:
        bad = WSClient(server.ws_url, origin="https://evil.example.com")
        assert bad.recv_type("error")["code"] == "origin_not_allowed"
        assert closed_with(bad) == 1008
        good = WSClient(server.ws_url, origin="chrome-extension://a")
        good.send({"type": "ping"})
        assert good.recv_type("error")["code"] == "hello_required"
    finally:
        server.stop()
        app.extensions["overt.services"].stop()


def test_logs_never_hold_payloads_or_tokens(live_server, admin, alice, caplog):
    """Server logs carry ids and counts, never event content or tokens."""
    caplog.set_level(logging.DEBUG)
    c = WSClient(live_server.ws_url)
    c.hello(alice)
    secret_title = "Salary review for ann@corp.example.com"
    c.send_events(1, [make_event(title=secret_title), {**make_event(), "type": "nope"}])
    c.send("{broken")
    c.recv_type("error")
    c.close()
    text = caplog.text
    assert secret_title not in text and "ann@corp" not in text and alice not in text
    assert "1 accepted, 1 rejected" in text


def test_request_logs_drop_query_strings(live_server, caplog):
    """A token or signed link in a query string never reaches the request log."""
    caplog.set_level(logging.INFO, logger="werkzeug")
    http("GET", live_server.http_url + "/healthz?session=sekrit-link-value")
    assert "/healthz" in caplog.text and "sekrit-link-value" not in caplog.text


def test_outbox_overflow_reported_in_hello_is_counted(live_server, admin, alice):
    """Events a client dropped from a full outbox are counted server-side, never silently lost."""
    for dropped in (3, 4):
        c = WSClient(live_server.ws_url)
        c.hello(alice, dropped=dropped)
        c.close()
    assert admin.status()["client_outbox_dropped"] == 7


def test_websocket_upgrade_elsewhere_is_refused_plainly(app):
    """A WebSocket upgrade to an HTTP route is refused in the one shape, naming the route."""
    headers = {"Upgrade": "websocket", "Connection": "Upgrade"}
    res = app.test_client().get("/healthz", headers=headers)
    assert res.status_code == 400
    assert res.get_json()["message"] == "/healthz does not take a WebSocket connection"
