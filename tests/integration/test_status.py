"""What status reports: events (not takes) in flight, and failed jobs without their data."""

from rq import SimpleWorker

from backend.core.employees import enroll
from backend.core.intake import Intake
from tests.conftest import WORK_ORIGIN
from tests.helpers import make_event
from tests.integration.processes import overt_env, run
from workers.queue import get_queue
from workers.stage import take


def test_events_in_flight_counts_events_not_takes(admin, redis_conn):
    """Two takes holding 32 events between them show as 32 in flight."""
    _, ident = enroll(redis_conn, "alice", "sales")
    redis_conn.hset("overt:consent:alice", "clicks", 0)
    frame = [make_event() for _ in range(40)]
    assert Intake(redis_conn, lambda: None).accept(ident, 1, frame, [WORK_ORIGIN])["accepted"] == 40
    take(redis_conn, 10)  # a worker's take, not yet committed
    take(redis_conn, 22)
    queue = admin.status()["queue"]
    assert queue["events_in_flight"] == 32 and queue["incoming_events"] == 8, queue


def test_status_lists_failed_jobs_without_their_arguments(settings, redis_conn):
    """A failed job shows its id, function and exception type; never its arguments or message."""
    queue = get_queue(redis_conn)
    job = queue.enqueue("builtins.int", "SECRET-PAYLOAD")  # fails: its message quotes the payload
    SimpleWorker([queue], connection=redis_conn, serializer=queue.serializer).work(
        burst=True, logging_level="ERROR"
    )
    assert queue.failed_job_registry.get_job_ids() == [job.id]
    shown = run(["status"], overt_env(settings))
    assert shown.returncode == 0, shown.stderr
    assert "failed jobs: 1" in shown.stdout
    assert f"{job.id} builtins.int: ValueError at " in shown.stdout
    assert "SECRET-PAYLOAD" not in shown.stdout + shown.stderr
