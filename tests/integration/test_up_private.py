"""`overt up` keeps data at rest private and restarts its worker if it dies."""

import os
import shutil
import signal
import stat
import tempfile
import time
from pathlib import Path

import pytest

from tests.conftest import WORK_ORIGIN, sealed_records
from tests.helpers import WSClient, http, make_event
from tests.integration.processes import overt_env, run

pytestmark = pytest.mark.slow


def modes(data_dir: Path) -> dict[str, str]:
    """Return each path under `data_dir` (and itself) with its mode bits, sockets left out."""
    out = {".": oct(stat.S_IMODE(data_dir.stat().st_mode))}
    for path in data_dir.rglob("*"):
        mode = path.lstat().st_mode
        if not stat.S_ISSOCK(mode):
            out[str(path.relative_to(data_dir))] = oct(stat.S_IMODE(mode))
    return out


def private(found: dict[str, str], data_dir: Path) -> list[str]:
    """Return the paths whose mode is not 0700 (folders) or 0600 (files)."""
    bad = []
    for rel, mode in found.items():
        want = "0o700" if (data_dir / rel).is_dir() else "0o600"
        if mode != want:
            bad.append(f"{rel} {mode}")
    return bad


def worker_pid(up_pid: int) -> int | None:
    """Return the pid of the `overt worker` child of `overt up`, if one runs."""
    children = []
    for task in Path(f"/proc/{up_pid}/task").iterdir():  # a restart is spawned by another thread
        try:
            children += (task / "children").read_text().split()
        except OSError:
            continue
    for pid in children:
        try:
            if b"worker" in Path(f"/proc/{pid}/cmdline").read_bytes():
                return int(pid)
        except OSError:
            continue
    return None


def wait_for(check, timeout: float, message: str):
    deadline = time.monotonic() + timeout
    while not (value := check()):
        assert time.monotonic() < deadline, message
        time.sleep(0.05)
    return value


def test_up_data_is_private_and_a_killed_worker_comes_back(settings, spawn, tmp_path):
    """Data dir 0700, files 0600 (AOF, shards, cards); a SIGKILLed worker is restarted."""
    data_dir = tmp_path / "fresh-data"  # created by `overt up` itself
    env = overt_env(settings, OVERT_DATA_DIR=str(data_dir), OVERT_BATCH_MAX_AGE="0.5")
    del env["OVERT_REDIS_URL"]  # the embedded Redis
    up = spawn(["up", "--port", "0"], env, "up")
    port = up.wait_for(r"WebSocket\s+ws://127\.0\.0\.1:(\d+)/ws").group(1)
    after_up = modes(data_dir)
    assert any(name.startswith("redis/appendonly") for name in after_up), after_up
    assert private(after_up, data_dir) == [], after_up

    first = wait_for(lambda: worker_pid(up.p.pid), 20, "no worker started")
    os.kill(first, signal.SIGKILL)
    up.wait_for(rf"worker \(pid {first}\) died: killed by SIGKILL; restarting")
    up.wait_for(r"worker restarted \(pid \d+\)")
    assert wait_for(lambda: worker_pid(up.p.pid), 20, "no new worker") != first

    base = f"http://127.0.0.1:{port}"
    token = run(["enroll", "alice"], env).stdout.strip()
    policy = {"categories": ["clicks"], "purpose": "p", "retention_days": 7}
    policy["allowed_origins"] = [WORK_ORIGIN]
    assert http("PUT", base + "/admin/api/policy", settings.admin_token, policy)[0] == 200
    assert http("PUT", base + "/me/api/consent", token, {"categories": {"clicks": True}})[0] == 200
    client = WSClient(f"ws://127.0.0.1:{port}/ws")
    client.hello(token)
    events = [make_event() for _ in range(20)]
    assert client.send_events(1, events)["accepted"] == 20
    client.close()
    # Only the restarted worker can seal them.
    wait_for(lambda: len(sealed_records(data_dir)) == 20, 30, "the new worker sealed nothing")
    wait_for(lambda: list(data_dir.glob("datasets/cards/*/*.card.json")), 10, "no card written")
    after_sealing = modes(data_dir)
    assert private(after_sealing, data_dir) == [], after_sealing

    assert "readable by other users" not in run(["status"], env).stderr


def test_status_warns_when_others_can_read_the_data_dir(settings, redis_conn):
    """`overt status` warns about a world-readable data dir, unless no one else can reach it."""
    outer = Path(tempfile.mkdtemp(prefix="overt-exposed-"))  # not under pytest's private base
    try:
        data_dir = outer / "data"
        data_dir.mkdir(mode=0o700)
        env = overt_env(settings, OVERT_DATA_DIR=str(data_dir))
        os.chmod(outer, 0o711)
        assert "readable by other users" not in run(["status"], env).stderr
        os.chmod(data_dir, 0o755)
        warned = run(["status"], env)
        assert warned.returncode == 0 and "readable by other users" in warned.stderr, warned
        os.chmod(outer, 0o700)  # the same data dir, behind a folder others cannot enter
        assert "readable by other users" not in run(["status"], env).stderr
    finally:
        shutil.rmtree(outer)
