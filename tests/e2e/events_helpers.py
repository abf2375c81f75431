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


# Values that are random tokens made by the extension or the server (ids, device tokens,
# pseudonyms, versions): their letters are chance, not content ("doe" turns up in one run of a
# few hundred), so a search for leaked words skips them. Every other field is searched.
# Every consent category: a browser consented to all of them captures every event type.
EVERYTHING = (
    "navigation",
    "clicks",
    "forms",
    "scroll",
    "focus",
    "typing",
    "page_structure",
    "tasks",
)


def capture_everything(
    live_server, admin, launch_browser, pages, consented=EVERYTHING, ws_url: str | None = None
):
    """Return a capturing browser: every category asked for, `consented` (all) granted, the
    test pages' origin a work app, and the rarity gate's k 1 (labels stay readable). `ws_url`:
    where the extension connects, when not straight to `live_server` (a wire tap)."""
    admin.call(
        "PUT",
        "/admin/api/policy",
        {
            "categories": list(EVERYTHING),
            "allowed_origins": [pages.origin],
            "purpose": "Tests",
            "retention_days": 30,
            "min_contributors": 1,
        },
    )
    token = admin.enroll("alice", "support")
    admin.set_consent(token, {c: c in consented for c in EVERYTHING})
    browser = launch_browser(ws_url or live_server.ws_url, token)
    browser.wait_until_capturing(pages.origin, tuple(consented))
    return browser


RANDOM_FIELDS = frozenset(
    {"id", "session", "tab", "page", "task", "token", "pause_id", "contributor", "policy_version"}
)


def _without_random(value):
    if isinstance(value, dict):
        return {k: _without_random(v) for k, v in value.items() if k not in RANDOM_FIELDS}
    if isinstance(value, list):
        return [_without_random(v) for v in value]
    return value


def content_text(texts) -> str:
    """All of `texts` (JSON frames, or JSON-ready records) as one string, random tokens left out.

    A text that is not JSON is kept whole: it is searched as it is.
    """
    out = []
    for text in texts:
        if isinstance(text, str):
            try:
                text = json.loads(text)
            except ValueError:
                out.append(text)
                continue
        out.append(json.dumps(_without_random(text), ensure_ascii=False))
    return "\n".join(out)


def leaked_words(texts, secrets, ignore_case: bool = True) -> list[str]:
    """The secrets found in the content of `texts` (see content_text)."""
    content = content_text(texts)
    if ignore_case:
        content = content.lower()
        return [s for s in secrets if s.lower() in content]
    return [s for s in secrets if s in content]
