"""The app's Redis client inside Flask (the tutorial's get_db / init_app accessor)."""

from __future__ import annotations

import redis
from flask import Flask, current_app


def get_redis() -> redis.Redis:
    """Return the app's Redis client."""
    return current_app.extensions["overt.redis"]


def init_app(app: Flask, client: redis.Redis) -> None:
    """Attach `client` to `app`."""
    app.extensions["overt.redis"] = client
