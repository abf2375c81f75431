"""Record the WebSocket frames a live test server receives, without any hook in the backend.

`FrameRecorder` wraps the WSGI app: for a WebSocket upgrade it hands flask-sock a socket that
copies every byte it reads into a mirror wsproto connection, which negotiates exactly what the
real server negotiates (simple_websocket accepts permessage-deflate) and so decodes the same
text messages.
"""

from __future__ import annotations

import threading

from wsproto import ConnectionType, WSConnection
from wsproto.events import AcceptConnection, Request, TextMessage
from wsproto.extensions import PerMessageDeflate


class RecordingSocket:
    """A socket that feeds what it receives to `on_data`; everything else goes to `sock`."""

    def __init__(self, sock, on_data):
        self._sock = sock
        self._on_data = on_data

    def recv(self, size: int, *flags) -> bytes:
        data = self._sock.recv(size, *flags)
        if data:
            self._on_data(data)
        return data

    def __getattr__(self, name):
        return getattr(self._sock, name)


class MirrorConnection:
    """Decodes the client's side of one WebSocket as the server does; keeps its text messages."""

    def __init__(self, environ: dict, frames: list[str]):
        self.frames = frames
        self.ws = WSConnection(ConnectionType.SERVER)
        self.parts: list[str] = []
        handshake = b"GET / HTTP/1.1\r\n"
        for key, value in environ.items():
            if key.startswith("HTTP_"):
                header = "-".join(p.capitalize() for p in key[5:].split("_"))
                handshake += f"{header}: {value}\r\n".encode()
        self.feed(handshake + b"\r\n")

    def feed(self, data: bytes) -> None:
        self.ws.receive_data(data)
        for event in self.ws.events():
            if isinstance(event, Request):
                self.ws.send(AcceptConnection(extensions=[PerMessageDeflate()]))
            elif isinstance(event, TextMessage):
                self.parts.append(event.data)
                if event.message_finished:
                    self.frames.append("".join(self.parts))
                    self.parts = []


class FrameRecorder:
    """WSGI middleware keeping, in `frames`, every text frame clients send over WebSockets."""

    def __init__(self, app):
        self.app = app
        self.frames: list[str] = []
        self.errors: list[str] = []  # decoding failures: checked by readers of `frames`
        self.lock = threading.Lock()

    def __call__(self, environ, start_response):
        sock = environ.get("werkzeug.socket")
        if sock is not None and environ.get("HTTP_UPGRADE", "").lower() == "websocket":
            mirror = MirrorConnection(environ, self.frames)

            def on_data(data: bytes) -> None:
                # A recording failure must never break the socket under test.
                with self.lock:
                    try:
                        mirror.feed(data)
                    except Exception as err:
                        self.errors.append(repr(err))

            environ["werkzeug.socket"] = RecordingSocket(sock, on_data)
        return self.app(environ, start_response)
