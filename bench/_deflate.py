"""permessage-deflate (RFC 7692) for the bench load generator, as Chromium does it.

Chromium offers `permessage-deflate; client_max_window_bits` on every WebSocket and, once it is
agreed, compresses every message (zlib's default level, 15-bit window). The server
(backend/ingest.py) agrees without context takeover, so each message is compressed on its own.
"""

from __future__ import annotations

import zlib

import ingest

OFFER = b"Sec-WebSocket-Extensions: permessage-deflate; client_max_window_bits\r\n"
TAIL = b"\x00\x00\xff\xff"  # every message's deflate stream ends with it; it is not sent


def deflate(payload: bytes) -> bytes:
    """One message compressed on its own, as sent with RSV1 set."""
    compressor = zlib.compressobj(zlib.Z_DEFAULT_COMPRESSION, zlib.DEFLATED, -15, 8)
    data = compressor.compress(payload) + compressor.flush(zlib.Z_SYNC_FLUSH)
    return data[: -len(TAIL)] if data.endswith(TAIL) else data


def inflate(payload: bytes) -> bytes:
    """The inverse of `deflate`."""
    return zlib.decompressobj(-15).decompress(payload + TAIL)


class WireBytes:
    """Bytes the clients wrote (frames with their headers) while measuring."""

    def __init__(self):
        self.sent = 0


class CountingClient(ingest.LoadClient):
    """bench/ingest.py's client, counting the bytes of the frames it sends while measuring."""

    wire: WireBytes | None = None

    def _write(self, opcode: int, payload: bytes) -> None:
        if self.wire and self.stats.measuring:
            n = len(payload)
            self.wire.sent += n + 6 + (2 if n >= 126 else 0) + (6 if n >= 65536 else 0)
        super()._write(opcode, payload)


class DeflateClient(CountingClient):
    """Offers permessage-deflate like Chromium; sends every message compressed, reads either."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.request = self.request[:-2] + OFFER + b"\r\n"
        self.agreed = False

    def data_received(self, data: bytes) -> None:
        if not self.upgraded.done():
            head = bytes(self.buffer + data).split(b"\r\n\r\n", 1)[0].lower()
            self.agreed = b"sec-websocket-extensions: permessage-deflate" in head
        super().data_received(data)

    def send_text(self, text: str) -> None:
        if not self.agreed:
            raise ConnectionError("the server did not agree to permessage-deflate")
        self._write(0x41, deflate(text.encode()))  # RSV1 | text; _write adds FIN

    def _parse(self, now: float) -> None:
        buf = self.buffer
        while len(buf) >= 2:
            b0, length, offset = buf[0], buf[1] & 0x7F, 2
            if length >= 126:
                offset = 4 if length == 126 else 10
                if len(buf) < offset:
                    return
                length = int.from_bytes(buf[2:offset], "big")
            if len(buf) < offset + length:
                return
            payload = bytes(buf[offset : offset + length])
            del buf[: offset + length]
            opcode = b0 & 0x0F
            if opcode == 1 and b0 & 0x80:  # the server sends whole messages
                self.on_message((inflate(payload) if b0 & 0x40 else payload).decode(), now)
            elif opcode == 8:
                self.transport.close()
                buf.clear()
                return
            elif opcode == 9:
                self._write(0xA, payload)
