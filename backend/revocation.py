"""Closing a revoked employee's sockets in this process (the control listener calls it).

`backend.core.actions.revoke` deletes the tokens first, so from that moment intake refuses the
device's frames (backend/core/intake.py checks the token in the same Lua script that queues
events); then its `revoke` command on the control channel makes every backend process close the
employee's sockets here, with an `error` frame `revoked` and close code 1008.
"""

from __future__ import annotations

import contextlib
import json
import threading

from .core.actions import REVOKED_FRAME

CLOSE_REVOKED = 1008
REVOKED_TEXT = json.dumps(REVOKED_FRAME)


def close_revoked(conn, send_timeout: float) -> None:
    """Tell one connection it was revoked and close it, on a thread of its own.

    The control listener calls this for every socket of the employee and goes on at once: a
    client that stopped reading (its socket's lock held by a blocked send) must not hold up the
    listener, and so the pauses after it (backend/connections.py does the same for fan-outs).
    """
    threading.Thread(
        target=_close, args=(conn, send_timeout), name=f"revoke-{conn.id}", daemon=True
    ).start()


def _close(conn, send_timeout: float) -> None:
    if not conn.lock.acquire(timeout=send_timeout):
        conn.abort("revoked while a send blocked")
        return
    try:
        # A socket its client closed meanwhile raises here; there is nothing left to close.
        with contextlib.suppress(Exception):
            conn.ws.send(REVOKED_TEXT)
            conn.ws.close(reason=CLOSE_REVOKED, message="revoked")
    finally:
        conn.lock.release()
