"""Per-process services behind the routes: Redis, connected sockets, intake, control listener."""

from __future__ import annotations

import logging
import os
import secrets
import threading
import time

import redis

from workers.queue import enqueue_drain

from .acks import AckRecorder
from .connections import Registry
from .control import ControlListener
from .core.arrivals import Arrivals
from .core.intake import Intake
from .core.policy import get_policy

log = logging.getLogger(__name__)

HEARTBEAT_SECONDS = 15
POLICY_REFRESH_SECONDS = 30


class Services:
    """Everything one backend process shares between its requests and sockets."""

    def __init__(self, r: redis.Redis):
        self.redis = r
        self.process_id = f"{os.getpid()}-{secrets.token_hex(3)}"
        self.registry = Registry(r, self.process_id)
        self.intake = Intake(r, lambda: enqueue_drain(r))
        self.arrivals = Arrivals(r)
        self.acks = AckRecorder(r)
        # Batching settings of the backend are not sent with drains: the workers' own apply.
        self.listener: ControlListener | None = None
        self._policy_at = 0.0
        self._stop = threading.Event()

    def current_policy(self) -> dict:
        """Return the policy, pushed by the listener and re-read at most every 30 s."""
        if (
            self.registry.policy is None
            or time.monotonic() - self._policy_at > POLICY_REFRESH_SECONDS
        ):
            self.registry.policy = get_policy(self.redis)
            self._policy_at = time.monotonic()
        return self.registry.policy

    def start(self) -> None:
        """Start the control listener and the presence heartbeat."""
        self.listener = ControlListener(self.redis, self.registry.dispatch, self.registry.resync)
        self.listener.start()
        threading.Thread(target=self._heartbeat, name="overt-heartbeat", daemon=True).start()

    def _heartbeat(self) -> None:
        while not self._stop.wait(HEARTBEAT_SECONDS):
            try:
                self.registry.heartbeat()
            except redis.RedisError as err:
                log.warning("presence heartbeat failed: %s", type(err).__name__)

    def stop(self) -> None:
        """Stop the background threads."""
        self._stop.set()
        self.acks.stop()
        if self.listener:
            self.listener.stop()
