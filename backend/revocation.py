"""Revoking a device takes effect at once: its tokens go, and its open sockets close everywhere.

The tokens are deleted first, so from that moment intake refuses the device's frames
(backend/core/intake.py checks the token in the same Lua script that queues events); then a `revoke`
command on the control channel (backend/core/control.py) makes every backend process close the
employee's sockets with an `error` frame `revoked` and close code 1008.
"""

from __future__ import annotations

import contextlib

import redis

from .core import control, employees

REVOKED_FRAME = {
    "type": "error",
    "code": "revoked",
    "message": "this device's token was revoked",
}
CLOSE_REVOKED = 1008


def revoke_employee(r: redis.Redis, employee: str) -> int:
    """Revoke every device token of `employee` and close their sockets; return tokens revoked."""
    count = employees.revoke(r, employee)
    control.publish(r, "revoke", frame=REVOKED_FRAME, scope={"employee": employee})
    return count


def close_revoked(conn) -> None:
    """Tell one connection it was revoked and close it (called by the control listener)."""
    if conn.send(REVOKED_FRAME):
        # A socket its client closed meanwhile raises here; there is nothing left to close.
        with conn.lock, contextlib.suppress(Exception):
            conn.ws.close(reason=CLOSE_REVOKED, message="revoked")
