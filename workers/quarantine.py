"""Poison events: one event that fails processing is set aside, never holds back its take.

Staging (workers/stage.py) and sealing (workers/batches.py) process events one by one; an event
that raises is written to the dead-letter list (backend/core/keys.py KEY_DEAD_LETTER) with the stage
and the reason, counted as the drop reason `quarantined` (by the minute of its event's time, on
the card or manifest line covering it: backend/core/drops.py) and in `overt status`. Logs get
counts and exception types only, never the event.
"""

from __future__ import annotations

import json
import logging
import time

from backend.core.records import EVENT, RECORD, Entry

log = logging.getLogger(__name__)

DROP_REASON = "quarantined"
MAX_REASON = 200
MAX_TS = 253_402_300_800_000  # 10000-01-01: later times have no ISO-8601 date


def dead_letter(
    stage: str, raw: bytes | str, err: BaseException, entry: Entry | None = None
) -> str:
    """Return the dead-letter record of one event that failed at `stage`."""
    if isinstance(raw, bytes):
        raw = raw.decode("utf-8", "backslashreplace")
    entry = json.loads(entry.encode()) if isinstance(entry, Entry) else {}
    event = entry.get("ev") or entry.get("rec")
    record = {
        "stage": stage,
        "reason": f"{type(err).__name__}: {err}"[:MAX_REASON],
        "at": int(time.time() * 1000),
        "event": event.get("id") if isinstance(event, dict) else None,
        # Employee, team and category as in queued entries, so purges and erasure
        # (backend/core/purge.py) remove dead letters too.
        "e": entry.get("e"),
        "t": entry.get("t"),
        "c": entry.get("c"),
        "raw": raw,
    }
    # ensure_ascii: a lone surrogate in the raw text is stored escaped, never refused by Redis.
    return json.dumps(record, ensure_ascii=True, default=str)


def log_quarantined(stage: str, batch: str, dead: list[str]) -> None:
    """Log how many events of `batch` were quarantined and why (exception types only)."""
    if dead:
        kinds = sorted({json.loads(d)["reason"].split(":", 1)[0] for d in dead})
        log.warning("%s %s: %d event(s) quarantined (%s)", stage, batch, len(dead), ",".join(kinds))


def drop_time(letter: str) -> int:
    """Return the time (ms) a dead letter's drop is counted at (backend/core/drops.py).

    That is its event's own time when the raw entry still shows one, else when it was set aside.
    """
    doc = json.loads(letter)
    try:
        raw = json.loads(doc["raw"])
        ts = (raw.get(EVENT) or raw.get(RECORD))["ts"]
    except (ValueError, TypeError, KeyError, AttributeError):
        return doc["at"]
    return ts if type(ts) is int and 0 <= ts < MAX_TS else doc["at"]
