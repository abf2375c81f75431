"""The /me API reads sealed shards from object storage under `overt serve` (gunicorn + gevent).

s3fs runs its requests on an asyncio loop in a thread of its own; in a gevent worker that thread
is a greenlet of the request's OS thread, and fsspec refused every call ("Calling sync() from
within a running loop"): the export and the /me page answered 500 with `s3://` datasets.
"""

from __future__ import annotations

import pytest

from tests.helpers import http
from tests.integration.me_helpers import clicks, queue_raw, seal
from tests.integration.processes import overt_env, start_backend
from tests.integration.test_erasure import grant

pytestmark = pytest.mark.slow


@pytest.mark.parametrize("datasets_backend", ["s3"], indirect=True)
def test_export_and_overview_read_s3_shards_under_serve(redis_conn, settings, admin, spawn):
    """GET /me/api/data and /me/api/overview list the employee's sealed records from S3."""
    admin.set_policy()
    token = admin.enroll("alice")
    grant(redis_conn, "alice")
    queue_raw(redis_conn, "alice", clicks(3))
    assert len(seal(redis_conn, settings)) == 1
    env = overt_env(settings, OVERT_DATASETS_URL=settings.datasets_url)
    base = start_backend(spawn, env, "serve")

    for _ in range(2):  # the second call finds s3fs's loop running
        status, doc = http("GET", base + "/me/api/data", token=token)
        assert status == 200, doc
        assert [len(batch["records"]) for batch in doc["sealed"]] == [3]
        status, page = http("GET", base + "/me/api/overview", token=token)
        assert status == 200, page
        assert [batch["events"] for batch in page["batches"]] == [3]
