"""The thread (or greenlet) that reads a WebSocket, fixed to free its connection at once.

simple-websocket runs one reader per connection (`Base._thread`) and the route's handler blocks in
`receive(timeout)`, waking when the reader sets an event. When the reader refuses an oversized
message (close 1009) it sets that event *before* the connection is marked closed: a handler that
wakes in between sees an open connection with nothing to read, waits again, and holds its thread
(or greenlet) and socket until the receive timeout, 60 s (measured: 100 refused messages held 100
threads and 97 sockets in CLOSE-WAIT). Our reader marks the connection closed, shuts down and
closes its socket and sets the event once more after the loop ends, so the handler always wakes to
a closed connection; the handler ends the connection the same way when its session ends
(backend/ingest.py).
"""

from __future__ import annotations

import contextlib
import ctypes
import ctypes.util
import socket
import threading


def reader_thread(target, **kwargs) -> threading.Thread:
    """Return a thread running simple-websocket's reader `target`, with our cleanup after it.

    Passed as flask-sock's `thread_class` (app config `SOCK_SERVER_OPTIONS`). `threading` is read
    at call time, so under gunicorn's gevent worker (which patches it) this is a greenlet.
    """
    ws = target.__self__

    def run() -> None:
        try:
            target()
        finally:
            end_connection(ws)

    return threading.Thread(target=run, **kwargs)


def end_connection(ws) -> None:
    """Mark `ws` closed, shut down and close its socket, and wake its handler (idempotent)."""
    ws.connected = False
    # flask-sock's per-request response class keeps `ws` alive until a full garbage collection
    # (a class is always in a reference cycle): drop the refused message (up to the frame limit)
    # now, or 200 refused frames hold 200 MiB.
    ws.incoming_message = None
    ws.incoming_message_len = 0
    # Shut down, not only close. werkzeug's request holds the socket too (its rfile and wfile), so
    # close() alone leaves the connection open, and once the route returns werkzeug reads what the
    # client still sends (the rest of a refused message, its close reply) until the client hangs
    # up: measured, a client that never did held its thread and socket for minutes. Shutting down
    # sends FIN after our close frame and ends every read on the socket at once, whoever holds it
    # (werkzeug, gunicorn, our reader); werkzeug's HTTP response after a WebSocket then fails as
    # a dropped connection instead of reaching the client.
    with contextlib.suppress(OSError):
        ws.sock.shutdown(socket.SHUT_RDWR)
    with contextlib.suppress(OSError):
        ws.sock.close()
    ws.event.set()


M_MMAP_THRESHOLD = -3  # glibc's mallopt parameter number (malloc.h)
MMAP_THRESHOLD = 128 * 1024


def return_large_buffers_to_the_os() -> bool:
    """Serve every allocation over 128 KiB from its own mapping (glibc), freed back to the OS.

    For the threads model (`overt serve`, `overt up`). A refused message grows a buffer to the
    1 MiB frame limit; glibc's default raises its mmap threshold after the first such buffer is
    freed, so later ones land in per-thread heaps that are not given back (measured: RSS grew by
    ~140 MiB per 200 refused frames, round after round). A fixed threshold turns that off.
    Return whether it was applied (False off glibc).
    """
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
        return bool(libc.mallopt(M_MMAP_THRESHOLD, MMAP_THRESHOLD))
    except (OSError, AttributeError):
        return False
