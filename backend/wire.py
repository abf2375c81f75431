"""One message framed once for every socket that frames it alike: a fan-out sends the same bytes.

simple-websocket frames each message through wsproto: about 12 µs per message, 55 µs when the
socket negotiated permessage-deflate (as Chromium does), which compresses it again every time.
A pause sent to 5,000 sockets of one process paid that 5,000 times. Sockets negotiate one of a
few framings (none, or deflate with some window size); without context takeover, which
backend/ingest.py makes the only deflate it accepts, the bytes of a message depend on nothing but
the message and that framing. So `Broadcast` frames the message with the first socket of each
framing (through that socket's own wsproto connection, so the bytes are what it would send) and
hands the same bytes to every other socket of that framing.
"""

from __future__ import annotations

from wsproto.events import TextMessage
from wsproto.extensions import PerMessageDeflate

# A socket whose framing cannot be shared (an extension keeping state between messages, or a
# wsproto whose internals moved): its message is framed for it alone, as simple-websocket would.
UNSHARED = None


def framing(ws) -> tuple | None:
    """Return what decides the bytes of a message on simple-websocket `ws`, or UNSHARED."""
    try:
        extensions = ws.ws.connection._proto.extensions  # the negotiated ones (wsproto 1.x)
    except AttributeError:
        return UNSHARED
    key = []
    for ext in extensions:
        if not isinstance(ext, PerMessageDeflate) or not ext.server_no_context_takeover:
            return UNSHARED
        key.append((ext.name, ext.server_max_window_bits))
    return tuple(key)


class Broadcast:
    """A text message to send to many sockets, framed once per framing."""

    __slots__ = ("framed", "text")

    def __init__(self, text: str):
        self.text = text
        self.framed: dict[tuple, bytes] = {}

    def bytes_for(self, ws, key: tuple | None) -> bytes:
        """Return the bytes of this message on `ws`, whose `framing()` is `key`.

        The caller holds the socket's send lock (an unshared framing advances its wsproto state).
        """
        if key is UNSHARED:
            return ws.ws.send(TextMessage(data=self.text))
        data = self.framed.get(key)
        if data is None:
            data = self.framed[key] = bytes(ws.ws.send(TextMessage(data=self.text)))
        return data

    @property
    def framings(self) -> int:
        """Return how many times the message was framed for sharing (for tests and logs)."""
        return len(self.framed)
