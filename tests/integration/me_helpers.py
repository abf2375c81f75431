"""Helpers for the consent, /me, erasure and retention tests ."""

from __future__ import annotations

import http.cookiejar
import json
import time
import urllib.error
import urllib.request

from backend.core import keys
from backend.core.pseudonym import pseudonym
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
        json.dumps(
            {
                "e": employee,
                "t": team,
                "d": "dev_test",
                "c": CATEGORY_OF[ev["type"]],
                "r": received,
                "ev": ev,
            },
            separators=(",", ":"),
        )
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


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


class Browserish:
    """An HTTP client with a cookie jar that does not follow redirects, like a page session."""

    def __init__(self):
        self.jar = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(self.jar), _NoRedirect
        )

    def call(self, method: str, url: str, body=None, headers=None):
        """Send a request; return (status, headers, parsed JSON or text)."""
        data = json.dumps(body).encode() if body is not None else None
        req = urllib.request.Request(url, data=data, method=method, headers=headers or {})
        if data is not None:
            req.add_header("Content-Type", "application/json")
        try:
            with self.opener.open(req, timeout=30) as res:
                status, head, text = res.status, res.headers, res.read().decode()
        except urllib.error.HTTPError as err:
            status, head, text = err.code, err.headers, err.read().decode()
        try:
            return status, head, json.loads(text)
        except ValueError:
            return status, head, text
