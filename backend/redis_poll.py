"""redis-py's zero-timeout readiness check without a trip through gevent's hub.

Before lending a pooled connection, redis-py (with hiredis) checks that it holds no unread data:
`select.poll()` on its socket with a timeout of 0. In a gevent worker `select.poll` is gevent's,
which arms watchers and a timer and switches to the hub even though a timeout of 0 never waits:
about half of the client-side CPU of every Redis command (measured by `bench/profile_path.py
--redis`: 108 µs of CPU per command as is, 57 µs with the kernel's poll for that check), and an
events frame costs one command. A zero-timeout poll never blocks, so the kernel's own `poll` does
the same check in place; every other timeout still goes through gevent.
"""

from __future__ import annotations

import select

from gevent import monkey
from redis._parsers import hiredis


def install() -> bool:
    """Make redis-py's zero-timeout readiness check non-yielding; return whether it applies.

    False (nothing changed) when redis-py has no such check (another version).
    Idempotent; harmless without gevent's patching (the original `poll` is then the same one).
    """
    check = getattr(hiredis, "_socket_can_read", None)
    if check is None or not hasattr(select, "poll"):
        return False
    if getattr(check, "non_yielding", False):
        return True
    kernel_poll = monkey.get_original("select", "poll")

    def socket_can_read(sock, timeout: float | None) -> bool:
        if timeout != 0:
            return check(sock, timeout)
        if hasattr(sock, "pending") and sock.pending():  # TLS bytes already decrypted
            return True
        poller = kernel_poll()
        poller.register(sock, select.POLLIN)
        return bool(poller.poll(0))

    socket_can_read.non_yielding = True
    hiredis._socket_can_read = socket_can_read
    return True
