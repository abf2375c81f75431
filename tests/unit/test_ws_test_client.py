"""The tests' WebSocket client keeps frames that arrive together with the handshake's reply."""

from __future__ import annotations

import socket
import threading

import pytest
import simple_websocket
from wsproto import ConnectionType, WSConnection
from wsproto.events import AcceptConnection, CloseConnection, Request, TextMessage

from tests.helpers import WSClient


def one_shot_server() -> tuple[str, threading.Thread]:
    """Serve one connection: reply to its handshake, a frame and a close in one write, then hang
    up (what a server refusing an origin does, as fast as it can)."""
    listener = socket.create_server(("127.0.0.1", 0))

    def serve():
        conn, _ = listener.accept()
        ws = WSConnection(ConnectionType.SERVER)
        while True:
            ws.receive_data(conn.recv(4096))
            if any(isinstance(e, Request) for e in ws.events()):
                break
        out = ws.send(AcceptConnection())
        out += ws.send(TextMessage(data='{"type":"error","code":"origin_not_allowed"}'))
        out += ws.send(CloseConnection(code=1008, reason="origin_not_allowed"))
        conn.sendall(out)
        conn.close()
        listener.close()

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    return f"ws://127.0.0.1:{listener.getsockname()[1]}/ws", thread


def test_frames_sent_with_the_handshake_reply_are_received():
    url, server = one_shot_server()
    client = WSClient(url)
    assert client.recv_type("error")["code"] == "origin_not_allowed"
    with pytest.raises(simple_websocket.ConnectionClosed):
        client.ws.receive(timeout=5)
    assert client.ws.close_reason == 1008
    server.join(timeout=5)
