"""Time as Overt stores it: integer milliseconds since the epoch, shown as ISO-8601 UTC."""

from __future__ import annotations

import time
from datetime import UTC, datetime, tzinfo


def now_ms() -> int:
    """Return the current time in milliseconds since the epoch."""
    return int(time.time() * 1000)


def iso(ms: int) -> str:
    """Return an ISO-8601 UTC time, to the millisecond, for milliseconds since the epoch."""
    return datetime.fromtimestamp(ms / 1000, UTC).isoformat(timespec="milliseconds")


def from_iso(text: str) -> int:
    """Return milliseconds since the epoch for an ISO-8601 time written by `iso`."""
    return round(datetime.fromisoformat(text).timestamp() * 1000)


def day(ms: int, zone: tzinfo = UTC) -> str:
    """Return the date (YYYY-MM-DD) in `zone` (default UTC) of milliseconds since the epoch."""
    return datetime.fromtimestamp(ms / 1000, zone).strftime("%Y-%m-%d")
