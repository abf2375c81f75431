"""Announce a change on the control channel; backend/control.py fans it out to sockets."""

from __future__ import annotations

import json
import time

import redis

from . import keys


def publish(
    r: redis.Redis, kind: str, frame: dict, scope: dict | None = None, device: str | None = None
) -> int:
    """Publish a command whose `frame` goes to every connected client covered by `scope`.

    With `device`, only that device's sockets within the scope get it.
    """
    # `at` (ms since the epoch) lets each listener log how long the command took to reach it.
    message = {
        "kind": kind,
        "frame": frame,
        "scope": scope or {"all": True},
        "at": time.time() * 1000,
    }
    if device:
        message["device"] = device
    return r.publish(keys.CHANNEL_CONTROL, json.dumps(message))
