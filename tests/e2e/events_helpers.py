"""Reading what the backend received: events frames recorded by live_server, accepted events."""

from __future__ import annotations

import json


def sent_frames(live_server, kind: str | None = None) -> list[dict]:
    """Every frame the server received from the extension (parsed), optionally of one type."""
    assert not live_server.recorder.errors, live_server.recorder.errors
    frames = []
    for raw in list(live_server.frames):
        try:
            frame = json.loads(raw)
        except ValueError:
            continue
        if kind is None or frame.get("type") == kind:
            frames.append(frame)
    return frames


def sent_events(live_server) -> list[dict]:
    """Every event the extension sent, resends collapsed by id, in first-sent order."""
    seen: dict[str, dict] = {}
    for frame in sent_frames(live_server, "events"):
        for event in frame.get("events", []):
            seen.setdefault(event.get("id"), event)
    return list(seen.values())


def of_type(events: list[dict], kind: str, **match) -> list[dict]:
    """Events of `kind` whose fields (or target fields, as target__x) equal `match`."""
    out = []
    for event in events:
        if event.get("type") != kind:
            continue
        ok = True
        for key, value in match.items():
            if key.startswith("target__"):
                ok = ok and (event.get("target") or {}).get(key[8:]) == value
            else:
                ok = ok and event.get(key) == value
        if ok:
            out.append(event)
    return out
