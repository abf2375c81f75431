"""The console's live view with real WebSocket clients; /metrics and /healthz."""

import time

import pytest
from prometheus_client.parser import text_string_to_metric_families

from tests.helpers import http, make_event


@pytest.fixture
def people(admin):
    """ann, ben and cid in sales; dee in support; all consented to clicks."""
    admin.set_policy()
    tokens = {}
    for name, team in (("ann", "sales"), ("ben", "sales"), ("cid", "sales"), ("dee", "support")):
        tokens[name] = admin.enroll(name, team)
        admin.set_consent(tokens[name], {"clicks": True})
    return tokens


def wait_for(check, timeout=5.0):
    deadline = time.monotonic() + timeout
    while not (value := check()):
        assert time.monotonic() < deadline, "condition not met in time"
        time.sleep(0.05)
    return value


def pause_row(admin, pause_id: str, acknowledged: int) -> dict | None:
    """The console's row for a pause once it shows `acknowledged` acks, else None."""
    for row in admin.call("GET", "/admin/api/live")["pauses"]:
        if row["pause_id"] == pause_id and row["acknowledged"] == acknowledged:
            return row
    return None


def test_team_pause_acks_and_latencies(admin, people, connect):
    """Pause sales: only sales clients hear it; the console counts acks and names the laggard."""
    clients = {name: connect(token) for name, token in people.items()}
    live = admin.call("GET", "/admin/api/live")
    assert live["connected_clients"] == 4
    assert sorted(d["employee"] for d in live["devices"]["sales"]) == ["ann", "ben", "cid"]

    started = time.time() * 1000
    pause_id = admin.pause({"team": "sales"}, reason="Quarter close")
    for name in ("ann", "ben", "cid"):
        assert clients[name].recv_type("pause")["pause_id"] == pause_id
    with pytest.raises(TimeoutError):
        clients["dee"].recv_type("pause", timeout=0.3)
    for name in ("ann", "ben"):  # cid never acknowledges
        clients[name].send({"type": "pause_applied", "pause_id": pause_id})
    acked_by = time.time() * 1000

    row = wait_for(lambda: pause_row(admin, pause_id, acknowledged=2))
    assert row["active"] and row["expected"] == 3 and row["by"] == "bootstrap"
    assert [c["employee"] for c in row["not_acknowledged"]] == ["cid"]
    acks = admin.pause_acks(pause_id)
    latencies = sorted(a["at"] - row["since_ms"] for a in acks)
    assert row["latency_ms"] == {"p50": latencies[0], "p99": latencies[1], "max": latencies[1]}
    assert 0 <= latencies[0] <= latencies[1] <= acked_by - started + 1000
    # cid acknowledges late: the count reaches everyone and nobody is left.
    clients["cid"].send({"type": "pause_applied", "pause_id": pause_id})
    full = wait_for(lambda: pause_row(admin, pause_id, acknowledged=3))
    assert full["not_acknowledged"] == [] and full["expected"] == 3
    live = admin.call("GET", "/admin/api/live")
    assert [p["scope"] for p in live["active_pauses"]] == [{"team": "sales"}]
    admin.resume(pause_id)
    assert admin.call("GET", "/admin/api/live")["active_pauses"] == []


def metric_values(base: str) -> dict:
    status, text = http("GET", base + "/metrics")
    assert status == 200
    values = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            values[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    return values


def test_metrics_count_what_was_sent(admin, people, connect, live_server):
    """/metrics parses as Prometheus text and its counters move by exactly what was sent."""
    base = live_server.http_url
    before = metric_values(base)
    ann = connect(people["ann"])
    ok = [make_event("click") for _ in range(5)]
    bad = make_event("click", url="https://elsewhere.example.org/x")  # not a work origin
    broken = {"id": "nope", "type": "click"}
    ack = ann.send_events(1, [*ok, bad, broken])
    assert ack["accepted"] == 5 and len(ack["rejected"]) == 2
    codes = sorted(r["code"] for r in ack["rejected"])
    ann.send({"type": "ping"})
    ann.recv_type("pong")
    after = metric_values(base)

    def delta(name, **labels):
        key = (name, tuple(sorted(labels.items())))
        return after.get(key, 0) - before.get(key, 0)

    assert delta("overt_events_received_total") == 7
    assert delta("overt_events_accepted_total") == 5
    for code in set(codes):
        assert delta("overt_events_rejected_total", code=code) == codes.count(code)
    assert delta("overt_frames_received_total", type="events") == 1
    assert delta("overt_frames_received_total", type="hello") == 1
    assert delta("overt_frames_received_total", type="ping") == 1
    assert delta("overt_ack_seconds_count") == 1
    assert after[("overt_connected_clients", ())] == 1
    assert after[("overt_queue_depth", (("stage", "incoming"),))] == 5
    assert ("overt_batches_sealed_total", ()) in after


def test_pause_latencies_reach_metrics(admin, people, connect, live_server):
    """A pause adds one fan-out observation and one acknowledgement observation."""
    base = live_server.http_url
    ann = connect(people["ann"])
    before = metric_values(base)
    pause_id = admin.pause("all", reason="metrics")
    ann.recv_type("pause")
    ann.send({"type": "pause_applied", "pause_id": pause_id})
    wait_for(lambda: admin.pause_acks(pause_id))
    after = metric_values(base)
    for name in ("overt_pause_fanout_seconds_count", "overt_pause_ack_seconds_count"):
        assert after[(name, ())] - before.get((name, ()), 0) == 1


def test_healthz_reports_redis_and_the_control_listener(live_server):
    """/healthz names both parts this process depends on."""
    status, body = http("GET", live_server.http_url + "/healthz")
    assert status == 200
    assert body == {"status": "ok", "redis": True, "control_listener": "subscribed"}


def test_worker_drops_and_sealed_batches_reach_metrics(
    admin, people, connect, live_server, run_workers
):
    """A duplicate event is dropped by the worker; /metrics counts it and the sealed batch."""
    ann = connect(people["ann"])
    event = make_event("click")
    assert ann.send_events(1, [event, make_event("click")])["accepted"] == 2
    assert ann.send_events(2, [event])["accepted"] == 1  # the same id again
    assert len(run_workers()) == 2
    after = metric_values(live_server.http_url)
    assert after[("overt_events_dropped_total", (("reason", "duplicate"),))] == 1
    assert after[("overt_batches_sealed_total", ())] == 1
    assert after[("overt_queue_depth", (("stage", "incoming"),))] == 0
