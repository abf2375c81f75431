"""Closing a revoked employee's sockets in this process (the control listener calls it).

`backend.core.actions.revoke` deletes the tokens first, so from that moment intake refuses the
device's frames (backend/core/intake.py checks the token in the same Lua script that queues
events); then its `revoke` command on the control channel makes every backend process close the
employee's sockets here, with an `error` frame `revoked` and close code 1008.
"""

from __future__ import annotations

import contextlib

from .core.actions import REVOKED_FRAME

CLOSE_REVOKED = 1008


def close_revoked(conn) -> None:
    """Tell one connection it was revoked and close it (called by the control listener)."""
    if conn.send(REVOKED_FRAME):
        # A socket its client closed meanwhile raises here; there is nothing left to close.
        with conn.lock, contextlib.suppress(Exception):
            conn.ws.close(reason=CLOSE_REVOKED, message="revoked")
