"""When events last arrived from the policy's work apps, per policy version.

Intake refuses events from origins the policy does not name, so an event accepted under a
version came from one of its work apps. `overt status` warns while a version has none: the
usual first-hour mistake is a policy naming an origin nobody browses.
"""

from __future__ import annotations

import threading
import time

import redis

from . import keys

# One write per policy version per second per process is plenty for "has anything arrived".
WRITE_EVERY_SECONDS = 1.0


class Arrivals:
    """Records, for one backend process, that events were accepted under a policy version."""

    def __init__(self, r: redis.Redis):
        self.r = r
        self._written: dict[str, float] = {}
        self._lock = threading.Lock()

    def note(self, version: str, at_ms: int) -> None:
        """Record that events were accepted under `version` at `at_ms` (throttled)."""
        now = time.monotonic()
        with self._lock:
            if now - self._written.get(version, -WRITE_EVERY_SECONDS) < WRITE_EVERY_SECONDS:
                return
            self._written[version] = now
        try:
            self.r.hset(keys.KEY_POLICY_LAST_ACCEPTED, version, at_ms)
        except redis.RedisError:
            with self._lock:
                self._written.pop(version, None)  # try again with the next frame


def last_accepted(r: redis.Redis, version: str) -> int | None:
    """Return when an event was last accepted under `version` (ms), or None."""
    raw = r.hget(keys.KEY_POLICY_LAST_ACCEPTED, version)
    return int(raw) if raw else None


def capture_warnings(policy: dict, last: int | None) -> list[str]:
    """Return what `overt status` should warn about the policy and what has arrived under it."""
    origins = policy["allowed_origins"]
    if not origins:
        return [
            "the policy names no work app, so nothing is captured: "
            "overt policy set --origin https://your-app.example.com"
        ]
    if last is None:
        return [
            f"no event has arrived from {', '.join(origins)} since policy {policy['version']} "
            "was set: check that employees browse exactly that address (scheme, host and port; "
            "change it with overt policy set --origin URL), that their extension is connected "
            "and that they turned categories on in its popup"
        ]
    return []
