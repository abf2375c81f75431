"""Helpers for the consent, /me, erasure and retention tests."""

from __future__ import annotations

import json
import time

from backend.core import keys
from backend.core.pseudonym import pseudonym
from backend.core.records import Entry
from backend.core.vocabulary import CATEGORY_OF
from tests.conftest import SECRET
from tests.helpers import WSClient, make_event
from tests.integration.storage import assert_card_matches, card_of, shards  # noqa: F401
from workers.batches import seal_due
from workers.stage import stage_once


def contributor(employee: str) -> str:
    """Return the pseudonym the test workers give `employee`."""
    return pseudonym(SECRET, employee)


def send(live_server, token: str, events: list[dict], seq: int = 1) -> dict:
    """Send `events` through /ws as the device of `token`; return the ack."""
    client = WSClient(live_server.ws_url)
    try:
        client.hello(token)
        return client.send_events(seq, events)
    finally:
        client.close()


def clicks(n: int, **extra) -> list[dict]:
    """Return `n` click events on the work app."""
    return [make_event("click", **extra) for _ in range(n)]


def queue_raw(r, employee: str, events: list[dict], team: str = "default") -> None:
    """Queue events as a backend would after validation (fast, for volume and races)."""
    received = int(time.time() * 1000)
    entries = [
        Entry(employee, team, CATEGORY_OF[ev["type"]], received, "dev_test", ev).encode()
        for ev in events
    ]
    for i in range(0, len(entries), 1000):
        r.lpush(keys.KEY_INCOMING, *entries[i : i + 1000])


def stage_all(r) -> None:
    """Stage everything queued with the real drain code."""
    while stage_once(r, SECRET):
        pass


def seal(r, settings, batch_size: int = 1000) -> list[str]:
    """Stage what is queued and seal everything staged in batches of `batch_size`."""
    stage_all(r)
    return seal_due(r, settings.datasets_location, batch_size, 60, force=True, secret=SECRET)


def index(r) -> dict[str, dict]:
    """Return the batch index."""
    return {k.decode(): json.loads(v) for k, v in r.hgetall(keys.KEY_BATCHES).items()}
