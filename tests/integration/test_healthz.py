"""/healthz and /metrics follow this process's Redis and control listener down and back up."""

from __future__ import annotations

import dataclasses
import time

import pytest
from prometheus_client.parser import text_string_to_metric_families

from backend import create_app
from backend.embedded_redis import EmbeddedRedis


def health_once(client, status: int, listener: str):
    """Return /healthz's body when it answers `status` with the listener so, else None."""
    res = client.get("/healthz")
    body = res.get_json()
    return body if res.status_code == status and body["control_listener"] == listener else None


def wait_health(client, status: int, listener: str, timeout: float = 20.0) -> dict:
    """Wait until /healthz answers `status` with the control listener in state `listener`."""
    deadline = time.monotonic() + timeout
    while (body := health_once(client, status, listener)) is None:
        assert time.monotonic() < deadline, client.get("/healthz").get_json()
        time.sleep(0.05)
    return body


def samples(text: str) -> dict[str, float]:
    """Return sample name -> value of a Prometheus text page (labels ignored: the last wins)."""
    return {
        sample.name: sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }


@pytest.fixture
def own_redis(tmp_path):
    """A redis-server of this test's own, which the test stops and starts again."""
    holder = {"server": EmbeddedRedis(tmp_path / "own").start()}
    yield holder
    holder["server"].stop()


def test_healthz_is_503_while_redis_is_away_and_200_once_resubscribed(
    settings, own_redis, tmp_path
):
    """Redis stopped: 503 naming Redis and the listener; restarted: 200, listener subscribed.

    Meanwhile /metrics answers with this process's own counters and overt_redis_up 0.
    """
    app = create_app(
        {
            "OVERT_SETTINGS": dataclasses.replace(settings, redis_url=own_redis["server"].url),
            "TESTING": True,
        }
    )
    client = app.test_client()
    try:
        ok = wait_health(client, 200, "subscribed")
        assert ok == {"status": "ok", "redis": True, "control_listener": "subscribed"}
        own_redis["server"].stop()
        down = wait_health(client, 503, "reconnecting")
        assert down == {"status": "degraded", "redis": False, "control_listener": "reconnecting"}
        # /metrics still carries this process's counters, and says Redis is away.
        scrape = client.get("/metrics")
        assert scrape.status_code == 200
        values = samples(scrape.get_data(as_text=True))
        assert values["overt_redis_up"] == 0 and "overt_events_received_total" in values
        assert "overt_queue_depth" not in values
        own_redis["server"] = EmbeddedRedis(tmp_path / "own").start()
        wait_health(client, 200, "subscribed")
        assert samples(client.get("/metrics").get_data(as_text=True))["overt_redis_up"] == 1
    finally:
        app.extensions["overt.services"].stop()
