"""The control channel's listener: one thread per process fans commands out to its sockets.

Commands are published by backend/core/control.py.

Modelled on rq's command.py (publish, dispatch on a name) and python-socketio's redis_manager
(a pub/sub listener that survives Redis errors with backoff).
"""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Callable

import redis

from .core import keys

log = logging.getLogger(__name__)


class ControlListener(threading.Thread):
    """Subscribe to the control channel and hand each command to `dispatch`.

    After any Redis error it backs off (0.1 s doubling to 5 s), resubscribes, and calls
    `resync` so that whatever was published while it was away is caught up from durable state.
    """

    def __init__(
        self,
        client: redis.Redis,
        dispatch: Callable[[dict], None],
        resync: Callable[[], None] | None = None,
    ):
        super().__init__(name="overt-control", daemon=True)
        self.client = client
        self.dispatch = dispatch
        self.resync = resync
        self.stopping = threading.Event()
        self.subscribed = threading.Event()

    def run(self) -> None:
        delay = 0.1
        first = True
        while not self.stopping.is_set():
            try:
                pubsub = self.client.pubsub(ignore_subscribe_messages=True)
                pubsub.subscribe(keys.CHANNEL_CONTROL)
                if not first and self.resync:
                    self.resync()
                first = False
                self.subscribed.set()
                delay = 0.1
                self._listen(pubsub)
            except (redis.RedisError, OSError) as err:
                self.subscribed.clear()
                if self.stopping.is_set():
                    break  # shutting down: Redis going away now is expected, not news
                log.warning("control listener lost Redis (%s); retrying in %.1fs", err, delay)
                self.stopping.wait(delay)
                delay = min(delay * 2, 5.0)

    def _listen(self, pubsub) -> None:
        try:
            while not self.stopping.is_set():
                message = pubsub.get_message(timeout=1.0)
                if message is None or message.get("type") != "message":
                    continue
                try:
                    command = json.loads(message["data"])
                    self.dispatch(command)
                except Exception:
                    # One bad command must not stop pause delivery for everything after it.
                    log.exception("control command could not be dispatched")
        finally:
            pubsub.close()

    def stop(self) -> None:
        """Ask the thread to stop; it exits within about a second."""
        self.stopping.set()
