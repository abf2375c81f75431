"""A plain `pip install .` (no extras) in a fresh venv runs the production server."""

import os
import re
import shlex
import shutil
import signal
import socket
import subprocess
import time
import venv
from pathlib import Path

import pytest

from backend.core.employees import enroll
from tests.helpers import WSClient, http
from tests.integration.processes import overt_env
from tests.integration.test_hostile_http import raw_request

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def installed(tmp_path_factory) -> Path:
    """Return the bin dir of a fresh venv holding only Overt and its declared dependencies."""
    home = tmp_path_factory.mktemp("plain-venv")
    venv.create(home / "venv", with_pip=True)
    bin_dir = home / "venv" / "bin"
    # A copy of the sources: pip builds in the tree it is given, and ours has a venv inside.
    src = home / "src"
    skip = (".venv", ".git", "node_modules", "*.egg-info", "__pycache__", ".*_cache", "build")
    shutil.copytree(ROOT, src, ignore=shutil.ignore_patterns(*skip))
    result = subprocess.run(
        [str(bin_dir / "pip"), "install", "-q", "--disable-pip-version-check", str(src)],
        capture_output=True,
        text=True,
        timeout=900,
        stdin=subprocess.DEVNULL,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    return bin_dir


def test_plain_install_serves_healthz_and_a_websocket_hello(installed, settings, redis_conn):
    """`overt serve --workers 2` from the plain venv: gunicorn + gevent, /healthz, hello."""
    pip_list = subprocess.run(
        [str(installed / "pip"), "list", "--format=freeze"], capture_output=True, text=True
    ).stdout
    assert "pytest" not in pip_list and "websockets" not in pip_list  # no test extras
    token, ident = enroll(redis_conn, "alice", "sales")
    env = overt_env(settings)
    env["PATH"] = f"{installed}{os.pathsep}{env.get('PATH', '')}"
    env.pop("PYTHONPATH", None)
    log = settings.data_dir.parent / "serve.log"
    with open(log, "w") as out:
        proc = subprocess.Popen(
            [str(installed / "overt"), "serve", "--port", "0", "--workers", "2"],
            env=env,
            cwd=installed,  # not the checkout: the installed package must be the one loaded
            stdout=out,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
        )
    try:
        port = _wait_for(log, proc, r"backend on http://127\.0\.0\.1:(\d+) .*2 gevent workers")
        base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 30
        while http("GET", base + "/healthz")[0] != 200:
            assert time.monotonic() < deadline, log.read_text()
            time.sleep(0.1)
        status, body = raw_request(int(port), b"GET /" + b"a" * 9000 + b" HTTP/1.1\r\n\r\n")
        assert status == 414 and body["status"] == 414, body  # backend/gunicorn_conf.py's JSON
        client = WSClient(f"ws://127.0.0.1:{port}/ws")
        welcome = client.hello(token)
        assert welcome["employee"] == ident.employee and welcome["team"] == "sales"
        client.send({"type": "ping"})
        assert client.recv_type("pong")
        client.ws.close()
        text = log.read_text()
        assert "Using worker: gevent" in text
        assert "Traceback" not in text and "MonkeyPatchWarning" not in text, text
        loaded = subprocess.run(
            [str(installed / "python"), "-c", "import backend; print(backend.__file__)"],
            capture_output=True,
            text=True,
            cwd=installed,
        ).stdout
        assert str(installed.parent) in loaded, loaded
    finally:
        stop_group(proc)
    assert proc.returncode == 0, log.read_text()[-3000:]


def readme_production_command() -> str:
    """Return the README's gunicorn command (its continuation lines joined), as written there."""
    text = (ROOT / "README.md").read_text()
    for block in re.findall(r"```sh\n(.*?)```", text, re.S):
        joined = block.replace("\\\n", " ")
        for line in joined.splitlines():
            if line.strip().startswith("gunicorn "):
                return line.strip()
    raise AssertionError("README.md shows no gunicorn command")


def test_readme_production_command_runs_from_a_plain_install(installed, settings, redis_conn):
    """The README's `gunicorn -k gevent ...` line, from the plain venv: no warning, JSON errors."""
    command = readme_production_command()
    assert "-c python:backend.gunicorn_conf" in command and "-k gevent" in command, command
    assert "-b 0.0.0.0:8765" in command, command
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    # As written, but on a free local port, and without gunicorn's per-user control socket
    # (~/.gunicorn/gunicorn.ctl), which other gunicorn servers of the test run may hold.
    args = shlex.split(command.replace("-b 0.0.0.0:8765", f"-b 127.0.0.1:{port}"))
    args.insert(1, "--no-control-socket")
    token, _ = enroll(redis_conn, "bob", "ops")
    env = overt_env(settings)  # OVERT_REDIS_URL: the README exports it just above the command
    env["PATH"] = f"{installed}{os.pathsep}{env.get('PATH', '')}"
    env.pop("PYTHONPATH", None)
    log = settings.data_dir.parent / "gunicorn.log"
    with open(log, "w") as out:
        proc = subprocess.Popen(
            args,
            env=env,
            cwd=installed,
            stdout=out,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
        )
    try:
        base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 60
        while True:
            assert proc.poll() is None, log.read_text()[-3000:]
            try:
                if http("GET", base + "/healthz")[0] == 200:
                    break
            except OSError:
                pass
            assert time.monotonic() < deadline, log.read_text()[-3000:]
            time.sleep(0.1)
        status, body = raw_request(port, b"GET /" + b"a" * 9000 + b" HTTP/1.1\r\n\r\n")
        assert status == 414 and body["code"] == "request_uri_too_long", body
        client = WSClient(f"ws://127.0.0.1:{port}/ws")
        assert client.hello(token)["team"] == "ops"
        client.ws.close()
        text = log.read_text()
        assert "Using worker: gevent" in text and text.count("Booting worker") >= 2, text
        assert "Traceback" not in text and "MonkeyPatchWarning" not in text, text
    finally:
        stop_group(proc)
    assert proc.returncode == 0, log.read_text()[-3000:]


def stop_group(proc: subprocess.Popen) -> None:
    """Stop a server started in its own process group: SIGTERM, then SIGKILL after 40 s."""
    os.killpg(proc.pid, signal.SIGTERM)
    try:
        proc.wait(timeout=40)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()


def _wait_for(log: Path, proc: subprocess.Popen, pattern: str, timeout: float = 60.0) -> str:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        m = re.search(pattern, log.read_text())
        if m:
            return m.group(1)
        assert proc.poll() is None, f"exited {proc.returncode}: {log.read_text()[-3000:]}"
        time.sleep(0.1)
    raise AssertionError(f"{pattern!r} not seen: {log.read_text()[-3000:]}")
