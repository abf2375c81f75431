"""`overt up`: embedded Redis, backend and worker in one command; a restart loses nothing."""

import json
import time

import pytest

from tests.conftest import WORK_ORIGIN, sealed_records
from tests.helpers import WSClient, http, make_event
from tests.integration.processes import overt_env, run

pytestmark = pytest.mark.slow


def test_up_then_restart_keeps_acknowledged_events(settings, spawn):
    """Events acknowledged before a restart are still there after it, and get sealed."""
    env = overt_env(settings, OVERT_BATCH_MAX_AGE="3600")
    del env["OVERT_REDIS_URL"]  # the embedded default
    up = spawn(["up", "--port", "0"], env, "up1")
    port = up.wait_for(r"WebSocket\s+ws://127\.0\.0\.1:(\d+)/ws").group(1)
    assert "(embedded)" in up.log.read_text() and settings.admin_token in up.log.read_text()
    base = f"http://127.0.0.1:{port}"
    token = run(["enroll", "alice"], env).stdout.strip()  # finds the embedded Redis by itself
    policy = {
        "categories": ["clicks"],
        "purpose": "p",
        "retention_days": 7,
        "allowed_origins": [WORK_ORIGIN],
    }
    assert http("PUT", base + "/admin/api/policy", settings.admin_token, policy)[0] == 200
    body = {"categories": {"clicks": True}}
    assert http("PUT", base + "/me/api/consent", token, body)[0] == 200
    client = WSClient(f"ws://127.0.0.1:{port}/ws")
    client.hello(token)
    events = [make_event() for _ in range(20)]
    assert client.send_events(1, events)["accepted"] == 20
    client.close()
    assert up.stop() == 0
    assert not (settings.data_dir / "redis" / "redis.sock").exists()

    up2 = spawn(["up", "--port", "0"], env, "up2")
    up2.wait_for(r"Overt is up")
    assert f"Work apps now: {WORK_ORIGIN}" in up2.log.read_text()
    status = json.loads(run(["status", "--json"], env).stdout)
    held = status["queue"]["incoming_events"] + status["queue"]["staged_events"]
    assert held == 20, status
    sealed = run(["worker", "--burst"], {**env, "OVERT_BATCH_MAX_AGE": "0.01"})
    assert sealed.returncode == 0, sealed.stderr
    # The tick may have been taken by the running `up` worker: wait for it to finish sealing.
    deadline = time.monotonic() + 30
    while len(sealed_records(settings.data_dir)) < 20 and time.monotonic() < deadline:
        time.sleep(0.1)
    assert sorted(r["id"] for r in sealed_records(settings.data_dir)) == sorted(
        e["id"] for e in events
    )


@pytest.mark.parametrize("command", ["up", "serve"])
def test_an_ipv6_host_is_printed_in_brackets(settings, redis_conn, spawn, command):
    """`--host ::1` printed `http://::1:PORT` and `ws://::1:PORT/ws`, URLs no browser, curl or
    extension options page takes; each URL printed now works as printed."""
    proc = spawn([command, "--host", "::1", "--port", "0"], overt_env(settings), command)
    port = proc.wait_for(r"http://\[::1\]:(\d+)").group(1)
    if command == "up":
        proc.wait_for(rf"WebSocket\s+ws://\[::1\]:{port}/ws")
    url = f"http://[::1]:{port}/healthz"
    deadline = time.monotonic() + 20
    while http("GET", url)[0] != 200:
        assert time.monotonic() < deadline, proc.log.read_text()[-2000:]
        time.sleep(0.05)
    assert "::1:" not in proc.log.read_text().replace("[::1]:", "")


@pytest.mark.parametrize("command", ["up", "serve"])
@pytest.mark.parametrize("host", ["", "  "])
def test_an_empty_host_is_a_usage_error(settings, redis_conn, command, host):
    """`--host ""` (a script's unset variable) listened on every interface, printing
    `http://:PORT`; it is a usage error that starts nothing."""
    result = run([command, "--host", host, "--port", "0"], overt_env(settings), timeout=30)
    assert result.returncode == 2, result.stdout + result.stderr
    assert "Invalid value for '--host': give an address" in result.stderr
    assert result.stdout == ""


@pytest.mark.parametrize("where", ["a file", "its redis folder a file", "with OVERT_REDIS_URL"])
def test_a_data_dir_that_cannot_be_used_is_one_line(settings, tmp_path, where):
    """With the admin token and the secret in the environment, `overt up` on an OVERT_DATA_DIR
    that is a file (or whose `redis` is one) ended with a traceback (NotADirectoryError) from
    making the embedded Redis's folder; with OVERT_REDIS_URL set it started, and its worker would
    have failed every seal. Each is one line, exit 2, before anything starts."""
    data_dir = tmp_path / "overt-data"
    if where == "its redis folder a file":
        data_dir.mkdir()
        (data_dir / "redis").write_text("")
    else:
        data_dir.write_text("")
    env = overt_env(settings, OVERT_DATA_DIR=str(data_dir))
    if where != "with OVERT_REDIS_URL":
        del env["OVERT_REDIS_URL"]
    result = run(["up", "--port", "0"], env, timeout=60)
    assert result.returncode == 2, result.stdout + result.stderr
    (line,) = result.stderr.strip().splitlines()
    assert line.startswith(f"overt: error: OVERT_DATA_DIR {data_dir} cannot "), line
    assert "Not a directory" in line and "Traceback" not in result.stderr
    assert "Overt is up" not in result.stdout


def test_a_config_folder_that_cannot_be_written_does_not_stop_up(settings, spawn, tmp_path):
    """`overt up` records itself for commands run from other folders; a home it cannot write
    (a read-only container, a missing HOME) ended it with a traceback (NotADirectoryError) after
    Redis and the worker had started. It serves all the same and says how to point commands."""
    a_file = tmp_path / "config-is-a-file"
    a_file.write_text("")
    env = overt_env(settings, XDG_CONFIG_HOME=str(a_file))
    proc = spawn(["up", "--port", "0"], env, "up")
    port = proc.wait_for(r"WebSocket\s+ws://127\.0\.0\.1:(\d+)/ws").group(1)
    proc.wait_for(rf"not recorded for other folders \({a_file}/overt: Not a directory\)")
    proc.wait_for(rf"OVERT_DATA_DIR={settings.data_dir}\n")
    deadline = time.monotonic() + 20
    while http("GET", f"http://127.0.0.1:{port}/healthz")[0] != 200:
        assert time.monotonic() < deadline, proc.log.read_text()[-2000:]
        time.sleep(0.05)
    assert "Traceback" not in proc.log.read_text()
