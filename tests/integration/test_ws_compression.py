"""permessage-deflate as Chromium offers it: negotiated without context takeover, frames intact."""

import json

from websockets.sync.client import connect

from tests.helpers import make_event


def test_deflate_is_negotiated_without_context_takeover(live_server, admin, queued_events):
    """No zlib state outlives a message, and compressed frames in both directions still work."""
    admin.set_policy()
    token = admin.enroll("alice", "sales")
    admin.set_consent(token, {"clicks": True})
    with connect(live_server.ws_url, compression="deflate") as ws:
        agreed = ws.response.headers["Sec-WebSocket-Extensions"]
        assert agreed.startswith("permessage-deflate")
        assert "server_no_context_takeover" in agreed and "client_no_context_takeover" in agreed
        ws.send(json.dumps({"type": "hello", "token": token}))
        assert json.loads(ws.recv(timeout=5))["type"] == "welcome"
        for seq in (1, 2, 3):  # several messages: each compressed on its own, both ways
            events = [make_event("click", title="Orders " * 40) for _ in range(20)]
            ws.send(json.dumps({"type": "events", "seq": seq, "events": events}))
            ack = json.loads(ws.recv(timeout=5))
            assert (ack["seq"], ack["accepted"], ack["rejected"]) == (seq, 20, [])
    assert len(queued_events()) == 60
