"""Observations on the wire: the extension's socket compresses them (permessage-deflate).

A TCP relay between Chromium and the backend keeps the bytes as they travel; the test reads the
handshake and the WebSocket frames from them (RFC 6455, RFC 7692), not what the server decoded.
"""

from __future__ import annotations

import json
import socket
import threading
import zlib

from tests.e2e.e2e_harness import wait_for
from tests.e2e.events_helpers import capture_everything, sent_events


class WireTap:
    """Relays one port to another and keeps every byte, per direction."""

    def __init__(self, target_port: int):
        self.target_port = target_port
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        self.upstream = bytearray()  # browser -> server
        self.downstream = bytearray()  # server -> browser
        self.lock = threading.Lock()
        threading.Thread(target=self._accept, daemon=True).start()

    @property
    def ws_url(self) -> str:
        return f"ws://127.0.0.1:{self.port}/ws"

    def _accept(self) -> None:
        while True:
            try:
                client, _ = self.listener.accept()
            except OSError:
                return  # closed
            server = socket.create_connection(("127.0.0.1", self.target_port))
            for src, dst, kept in (
                (client, server, self.upstream),
                (server, client, self.downstream),
            ):
                threading.Thread(target=self._pump, args=(src, dst, kept), daemon=True).start()

    def _pump(self, src: socket.socket, dst: socket.socket, kept: bytearray) -> None:
        try:
            while data := src.recv(65536):
                with self.lock:
                    kept += data
                dst.sendall(data)
        except OSError:
            pass
        finally:
            for s in (src, dst):
                s.close()

    def close(self) -> None:
        self.listener.close()

    def taken(self) -> tuple[bytes, bytes]:
        with self.lock:
            return bytes(self.upstream), bytes(self.downstream)


def split_handshake(stream: bytes) -> tuple[str, bytes]:
    """The HTTP head (lower case) and the WebSocket bytes after it."""
    head, _, rest = stream.partition(b"\r\n\r\n")
    return head.decode("latin-1").lower(), rest


def messages(stream: bytes) -> list[tuple[bool, bytes]]:
    """Each complete data message as (compressed, payload), fragments joined, masks removed."""
    out, parts, compressed, i = [], [], False, 0
    while i + 2 <= len(stream):
        b0, b1 = stream[i], stream[i + 1]
        n, j = b1 & 0x7F, i + 2
        if n >= 126:
            width = 2 if n == 126 else 8
            n, j = int.from_bytes(stream[j : j + width], "big"), j + width
        mask = stream[j : j + 4] if b1 & 0x80 else b""
        j += len(mask)
        if j + n > len(stream):
            break
        payload = stream[j : j + n]
        if mask:
            payload = bytes(c ^ mask[k % 4] for k, c in enumerate(payload))
        i = j + n
        opcode = b0 & 0x0F
        if opcode in (1, 2):
            compressed, parts = bool(b0 & 0x40), [payload]  # RSV1 marks the first frame only
        elif opcode == 0:
            parts.append(payload)
        else:
            continue  # ping, pong, close
        if b0 & 0x80:
            out.append((compressed, b"".join(parts)))
    return out


def inflate(payload: bytes) -> bytes:
    """One message (no context takeover: each message is a deflate stream of its own)."""
    return zlib.decompressobj(-15).decompress(payload + b"\x00\x00\xff\xff")


def orders_page(pages, folder) -> str:
    """A table of 40 orders with a checkbox, a link and two buttons per row: a real-sized
    observation (about 4,000 bytes); returns its URL path."""
    rows = "".join(
        f'<tr><td><input type="checkbox" aria-label="Select"></td><td><a href="#o{i}">Order {i}'
        f'</a></td><td><button type="button">Edit</button><button type="button">Cancel</button>'
        "</td></tr>"
        for i in range(40)
    )
    head = "<thead><tr><th></th><th>Order</th><th>Actions</th></tr></thead>"
    (folder / "orders.html").write_text(
        f"<!doctype html><title>Orders</title><table>{head}<tbody>{rows}</tbody></table>"
    )
    pages.mount("/wire", folder)
    return "/wire/orders.html"


def test_the_extension_sends_observations_deflated(
    admin, live_server, launch_browser, pages, tmp_path
):
    """Chromium offers permessage-deflate, the server agrees without context takeover, and the
    frames carrying observations travel compressed, several times smaller than their JSON."""
    tap = WireTap(live_server.port)
    try:
        b = capture_everything(live_server, admin, launch_browser, pages, ws_url=tap.ws_url)
        b.open(pages.url(orders_page(pages, tmp_path)))
        wait_for(
            lambda: [e for e in sent_events(live_server) if e["type"] == "observation"],
            15,
            0.1,
            "an observation reaches the server",
        )
        upstream, downstream = tap.taken()
    finally:
        tap.close()

    request, sent = split_handshake(upstream)
    response, _ = split_handshake(downstream)
    assert "sec-websocket-extensions: permessage-deflate" in request, request
    agreed = next(line for line in response.splitlines() if "sec-websocket-extensions" in line)
    assert "permessage-deflate" in agreed
    assert "server_no_context_takeover" in agreed and "client_no_context_takeover" in agreed

    sent_messages = messages(sent)
    assert sent_messages and all(compressed for compressed, _ in sent_messages)
    frames = [(len(p), json.loads(inflate(p))) for _, p in sent_messages]
    with_observation = [
        (size, frame)
        for size, frame in frames
        if frame.get("type") == "events"
        and any(e["type"] == "observation" for e in frame["events"])
    ]
    assert with_observation, [f.get("type") for _, f in frames]
    for size, frame in with_observation:
        text = json.dumps(frame, separators=(",", ":"), ensure_ascii=False).encode()
        assert len(text) > 4000 and size * 5 < len(text), (size, len(text))
