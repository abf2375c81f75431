"""What `overt` says to a new user: the messages of the first hour, each checked.

In-process through Click's CliRunner against the real Redis where no process is the point;
the pointer file and the port checks run real `overt` processes (tests/integration/processes.py).
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time

import pytest
from click.testing import CliRunner

from backend.cli import main
from backend.cli_support import default_actor
from backend.core import keys
from backend.core.audit import read_audit
from backend.locate import pointer_path, write_pointer
from tests.conftest import WORK_ORIGIN
from tests.helpers import WSClient, make_event
from tests.integration.processes import overt_env, run


@pytest.fixture
def cli(settings, redis_conn, tmp_path, monkeypatch):
    """Run `overt ARGS` in-process against the test's Redis; return Click's result."""
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    runner = CliRunner()

    def invoke(*args, env=None):
        return runner.invoke(main, list(args), env=env, catch_exceptions=False)

    return invoke


def audit_entries(redis_conn) -> list[dict]:
    return read_audit(redis_conn)


def test_pause_without_a_reason_says_no_reason_given(cli, redis_conn):
    """`overt pause` alone pauses everyone, with the reason the popup shows for none."""
    result = cli("pause")
    assert result.exit_code == 0, result.output
    assert "paused: p_" in result.stdout
    (record,) = json.loads(cli("status", "--json").stdout)["paused"]
    assert record["reason"] == "No reason given" and record["scope"] == {"all": True}


def test_policy_set_without_options_changes_nothing(cli, redis_conn):
    """Nothing to change: a usage error (exit 2) naming the options; no audit entry, no push."""
    before = json.loads(cli("policy", "show").stdout)
    entries = len(audit_entries(redis_conn))
    pubsub = redis_conn.pubsub(ignore_subscribe_messages=True)
    pubsub.subscribe(keys.CHANNEL_CONTROL)
    result = cli("policy", "set")
    assert result.exit_code == 2, result.output
    assert "nothing to change: give --origin, --category, --purpose, --retention-days" in (
        result.stderr
    )
    assert pubsub.get_message(timeout=0.5) is None, "nothing is pushed"
    pubsub.close()
    assert len(audit_entries(redis_conn)) == entries
    assert json.loads(cli("policy", "show").stdout) == before


def test_policy_set_names_the_work_app_like_the_admin_api(cli, redis_conn, live_server, admin):
    """`overt policy set` stores the policy, tells connected sockets and audits as the API does."""
    pubsub = redis_conn.pubsub(ignore_subscribe_messages=True)
    pubsub.subscribe(keys.CHANNEL_CONTROL)
    result = cli("policy", "set", "--origin", "https://crm.example.com/", "--category", "clicks")
    assert result.exit_code == 0, result.output
    assert "work apps https://crm.example.com; asks for clicks" in result.stdout
    policy = admin.call("GET", "/admin/api/policy")
    assert policy["allowed_origins"] == ["https://crm.example.com"]
    assert policy["categories"] == ["clicks"]
    deadline = time.monotonic() + 5
    message = None
    while message is None and time.monotonic() < deadline:
        message = pubsub.get_message(timeout=1)
    pubsub.close()
    assert message, "the change was published to connected backends"
    assert json.loads(message["data"])["frame"]["version"] == policy["version"]
    entry = audit_entries(redis_conn)[0]
    assert entry["actor"] == default_actor() and entry["action"] == "policy"
    assert entry["version"] == policy["version"]

    # Options left out keep their current values.
    assert cli("policy", "set", "--category", "navigation").exit_code == 0
    kept = json.loads(cli("policy", "show").stdout)
    assert kept["allowed_origins"] == ["https://crm.example.com"]
    assert kept["categories"] == ["navigation"]


@pytest.mark.parametrize(
    "origin, needle",
    [
        ("https://a.com:99999", "1-65535"),
        ("https://user:pw@a.com", "no user name or password"),
        ("HTTPS://A.COM", "origins are lower-case"),
    ],
)
def test_the_admin_api_refuses_origins_no_browser_sends(admin, redis_conn, origin, needle):
    """PUT /admin/api/policy: the same refusal, a 422 naming the origin's index."""
    body = {"categories": ["clicks"], "purpose": "p", "retention_days": 5}
    err = admin.call(
        "PUT", "/admin/api/policy", {**body, "allowed_origins": [origin]}, expect=(422,)
    )
    assert needle in err["errors"]["allowed_origins"]["0"][0], err
    assert redis_conn.get(keys.KEY_POLICY) is None


@pytest.mark.parametrize("purpose", ["   ", "\n\t", ""])
def test_the_admin_api_refuses_a_blank_purpose(admin, redis_conn, purpose):
    """A purpose is what employees consent to: one of spaces was stored, versioned and shown
    to them to grant. A 422 names it; nothing is stored, pushed or audited."""
    body = {"categories": ["clicks"], "retention_days": 5, "allowed_origins": [WORK_ORIGIN]}
    err = admin.call("PUT", "/admin/api/policy", {**body, "purpose": purpose}, expect=(422,))
    assert err["code"] == "invalid_request" and list(err["errors"]) == ["purpose"], err
    assert redis_conn.get(keys.KEY_POLICY) is None
    assert audit_entries(redis_conn) == []
    stored = admin.call("PUT", "/admin/api/policy", {**body, "purpose": " Train it "})
    assert stored["purpose"] == " Train it "


@pytest.mark.parametrize(
    "args, needle",
    [
        (["--origin", "https://crm.example.com/login"], "--origin 'https://crm.example.com/login'"),
        (["--origin", "crm.example.com"], "scheme://host[:port], no path"),
        (["--origin", "https://crm.example.com:99999"], "1-65535"),
        (["--origin", "https://me:pw@crm.example.com"], "no user name or password"),
        (["--origin", "HTTPS://CRM.EXAMPLE.COM"], "lower-case"),
        (["--retention-days", "0"], "--retention-days"),
        (["--category", "keystrokes"], "--category"),
        (["--purpose", "  "], "--purpose: must not be empty or only spaces"),
        (["--purpose", ""], "--purpose"),
    ],
)
def test_policy_set_refuses_bad_values_in_one_line(cli, redis_conn, args, needle):
    """A refused value: exit 2, one line naming the option and the value; nothing changes."""
    result = cli("policy", "set", *args)
    assert result.exit_code == 2
    assert needle in result.stderr
    last = result.stderr.strip().splitlines()[-1]  # Click puts usage lines before a bad choice
    assert last.startswith(("overt: error: policy not changed", "Error: Invalid value"))
    assert redis_conn.get(keys.KEY_POLICY) is None
    assert audit_entries(redis_conn) == []


def test_status_before_anything_arrives(cli, redis_conn):
    """Before the first batch and the first policy, status says so in words."""
    result = cli("status")
    assert result.exit_code == 0
    assert "no batches sealed yet" in result.stdout and "None" not in result.stdout
    assert "the policy names no work app" in result.stderr
    assert "overt policy set --origin" in result.stderr


def test_status_warns_until_an_event_arrives_from_a_work_app(cli, redis_conn, live_server, admin):
    """With a policy set, status warns until an event is accepted under that policy version."""
    assert cli("policy", "set", "--origin", WORK_ORIGIN).exit_code == 0
    token = cli("enroll", "alice").stdout.strip()
    admin.set_consent(token, {"clicks": True})
    warned = cli("status")
    assert f"no event has arrived from {WORK_ORIGIN} since policy" in warned.stderr
    assert f"work apps:   {WORK_ORIGIN}" in warned.stdout

    client = WSClient(live_server.ws_url)
    client.hello(token)
    other = make_event(url="https://elsewhere.example.com/x")
    assert client.send_events(1, [other])["accepted"] == 0
    assert "no event has arrived" in cli("status").stderr, "an origin outside the policy"
    assert client.send_events(2, [make_event()])["accepted"] == 1
    client.close()
    # What remains is the rarity gate's warning: one person is fewer than min_contributors.
    (left,) = cli("status").stderr.splitlines()
    assert "fewer than min_contributors (k=3)" in left
    info = json.loads(cli("status", "--json").stdout)
    assert len(info["warnings"]) == 1 and info["policy"]["last_accepted"]

    # A new policy version starts over: nothing has arrived under it yet.
    assert cli("policy", "set", "--origin", "https://other.example.com").exit_code == 0
    assert "no event has arrived from https://other.example.com" in cli("status").stderr


@pytest.fixture
def elsewhere(tmp_path, monkeypatch):
    """An empty folder with no OVERT_* variables and an empty config dir; returns its env."""
    folder = tmp_path / "elsewhere"
    folder.mkdir()
    monkeypatch.chdir(folder)
    for name in ("OVERT_DATA_DIR", "OVERT_REDIS_URL", "OVERT_ADMIN_TOKEN", "OVERT_SECRET"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    return folder


def test_no_redis_says_where_it_looked_and_creates_nothing(elsewhere):
    """From a folder without overt-data and no `overt up` recorded: where it looked, what to do."""
    result = CliRunner().invoke(main, ["status"])
    assert result.exit_code == 2
    line = result.stderr.strip()
    assert line.startswith("overt: error: no Redis: no ") and len(line.splitlines()) == 1
    assert str(elsewhere / "overt-data") in line and str(pointer_path()) in line
    assert "OVERT_DATA_DIR" in line and "OVERT_REDIS_URL" in line
    assert list(elsewhere.iterdir()) == [], "a failed status must not create ./overt-data"


def test_a_stopped_overt_up_in_the_pointer_is_named(elsewhere, tmp_path):
    """A pointer left by an `overt up` that is gone: the error names its data dir and the file."""
    gone = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"],
        text=True,
        capture_output=True,
        check=True,
    )
    path = write_pointer(tmp_path / "their-data", "unix:///nowhere/redis.sock")
    body = json.loads(path.read_text())
    path.write_text(json.dumps({**body, "pid": int(gone.stdout)}))
    result = CliRunner().invoke(main, ["enroll", "alice"])
    assert result.exit_code == 2
    assert "is no longer running" in result.stderr and str(tmp_path / "their-data") in result.stderr


def test_the_pointer_is_private(tmp_path, monkeypatch):
    """The pointer holds a Redis URL (maybe with a password): only its owner may read it."""
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    path = write_pointer(tmp_path / "data", "redis://:secret@127.0.0.1:6379/0")
    assert path == tmp_path / "config" / "overt" / "current"
    assert oct(path.stat().st_mode & 0o777) == "0o600"


def test_unreachable_redis_says_where_the_url_came_from(settings, cli):
    """A Redis that does not answer: the URL (no password), where it came from, what to do."""
    env = {"OVERT_REDIS_URL": "redis://:hunter2@127.0.0.1:1/0"}
    result = cli("status", env=env)
    assert result.exit_code == 2
    assert "cannot reach Redis at redis://***@127.0.0.1:1/0" in result.stderr
    assert "(from OVERT_REDIS_URL)" in result.stderr and "hunter2" not in result.stderr


@pytest.mark.slow
@pytest.mark.parametrize("command", ["up", "serve"])
def test_port_in_use_is_one_line_naming_port(settings, command):
    """A port already taken: exit 2 and one line that names --port, nothing from werkzeug."""
    busy = socket.create_server(("127.0.0.1", 0))
    port = busy.getsockname()[1]
    env = overt_env(settings)
    if command == "up":
        del env["OVERT_REDIS_URL"]
    try:
        result = run([command, "--port", str(port)], env)
    finally:
        busy.close()
    assert result.returncode == 2, result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("overt: error: port ")
    assert "--port" in lines[0] and "Either identify" not in result.stderr
    assert not (settings.data_dir / "redis" / "redis.sock").exists(), "nothing was started"


@pytest.mark.slow
def test_status_from_another_folder_finds_the_running_up(settings, spawn, tmp_path):
    """`overt up` records itself; `overt status` elsewhere finds it; a clean stop says nothing."""
    env = overt_env(settings)
    del env["OVERT_REDIS_URL"]
    up = spawn(["up", "--port", "0"], env, "up")
    up.wait_for(r"Overt is up")
    text = up.log.read_text()
    assert "overt policy set --origin https://crm.example.com" in text
    pointer = tmp_path / "config" / "overt" / "current"
    assert f"recorded in {pointer}" in text
    recorded = json.loads(pointer.read_text())
    assert recorded["data_dir"] == str(settings.data_dir)
    assert recorded["secret_from_env"] is True and settings.secret not in pointer.read_text()

    folder = tmp_path / "elsewhere"
    folder.mkdir()
    bare = {k: v for k, v in env.items() if k not in ("OVERT_DATA_DIR", "OVERT_ADMIN_TOKEN")}
    result = run(["status"], bare, cwd=folder)
    assert result.returncode == 0, result.stderr
    assert "no batches sealed yet" in result.stdout
    assert run(["enroll", "bob"], bare, cwd=folder).stdout.startswith("ovt_")
    assert list(folder.iterdir()) == []

    assert up.stop() == 0
    log = up.log.read_text()
    assert "lost Redis" not in log and "Traceback" not in log, log[-2000:]
    assert not pointer.exists(), "a stopped `overt up` takes its pointer away"
    gone = run(["status"], bare, cwd=folder)
    assert gone.returncode == 2 and "no Redis" in gone.stderr
    assert os.path.exists(settings.data_dir)


@pytest.mark.parametrize("command", [["datasets", "list"], ["datasets", "verify"]])
def test_datasets_from_another_folder_read_the_running_ups(elsewhere, tmp_path, command):
    """`overt datasets list|verify` elsewhere read the running `overt up`'s datasets, as every
    command finds it, and create nothing where they run (not even generated secrets)."""
    theirs = tmp_path / "their-data"
    theirs.mkdir()
    path = write_pointer(theirs, "unix:///nowhere/redis.sock")
    path.write_text(json.dumps({**json.loads(path.read_text()), "pid": os.getpid()}))
    result = CliRunner().invoke(main, command)
    assert result.exit_code == 0, result.output
    assert str(theirs / "datasets") in result.stdout
    assert list(elsewhere.iterdir()) == [], "a read of the datasets must not create ./overt-data"
    assert list(theirs.iterdir()) == []


def test_datasets_list_with_no_overt_up_anywhere_creates_nothing(elsewhere):
    """No data dir here and none recorded: nothing sealed, and no ./overt-data made to say so."""
    result = CliRunner().invoke(main, ["datasets", "list"])
    assert result.exit_code == 0, result.output
    assert f"nothing sealed in {elsewhere / 'overt-data' / 'datasets'}" in result.stdout
    assert list(elsewhere.iterdir()) == []


def test_an_up_given_overt_secret_is_not_given_another_from_elsewhere(
    elsewhere, tmp_path, redis_url, monkeypatch
):
    """An `overt up` started with OVERT_SECRET (and OVERT_DATASETS_URL): a command elsewhere
    without that secret is refused in one line, before it generates another into the up's data
    dir (whose pseudonyms would not be the up's); given it, the command runs, and `datasets`
    reads the up's OVERT_DATASETS_URL."""
    theirs, datasets_at = tmp_path / "their-data", tmp_path / "their-datasets"
    theirs.mkdir()
    path = write_pointer(theirs, redis_url, str(datasets_at), secret_from_env=True)
    path.write_text(json.dumps({**json.loads(path.read_text()), "pid": os.getpid()}))

    refused = CliRunner().invoke(main, ["status"])
    assert refused.exit_code == 2
    line = refused.stderr.strip()
    assert len(line.splitlines()) == 1 and "set the same OVERT_SECRET here" in line
    assert not (theirs / "secret").exists()

    listed = CliRunner().invoke(main, ["datasets", "list"])
    assert listed.exit_code == 2  # their OVERT_DATASETS_URL names a folder not made yet
    assert f"no datasets at {datasets_at} (from OVERT_DATASETS_URL)" in listed.stderr
    assert list(elsewhere.iterdir()) == [] and not (theirs / "secret").exists()

    monkeypatch.setenv("OVERT_SECRET", "their-secret")
    assert CliRunner().invoke(main, ["status"]).exit_code == 0
    assert not (theirs / "secret").exists()


@pytest.mark.slow
@pytest.mark.parametrize("own_datasets", [False, True], ids=["data-dir", "datasets-url"])
def test_a_burst_from_another_folder_seals_into_the_running_ups_data_dir(
    settings, redis_conn, tmp_path, monkeypatch, own_datasets
):
    """`overt worker --burst` elsewhere finds the running `overt up` (as `overt status` does):
    its jobs seal into that data dir, with that data dir's secret, and nothing appears where it
    ran (a second ./overt-data with a secret of its own split the dataset and its pseudonyms).
    An `overt up` given OVERT_DATASETS_URL: the jobs seal there, not into its data dir."""
    from backend.core.consent import set_consent
    from backend.core.policy import get_policy
    from backend.core.pseudonym import pseudonym
    from tests.conftest import sealed_records
    from tests.integration.me_helpers import queue_raw

    theirs = tmp_path / "their-data"
    theirs.mkdir()
    (theirs / "secret").write_text("their-secret\n")
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    env = {k: v for k, v in os.environ.items() if not k.startswith("OVERT_")}
    env.update(OVERT_BATCH_MAX_AGE="0", PYTHONUNBUFFERED="1")
    datasets = tmp_path / "their-store" / "datasets"
    datasets.mkdir(parents=True)
    path = write_pointer(theirs, settings.redis_url, str(datasets) if own_datasets else None)
    path.write_text(json.dumps({**json.loads(path.read_text()), "pid": os.getpid()}))
    set_consent(redis_conn, "alice", {"clicks": True}, get_policy(redis_conn), "dev_test")
    queue_raw(redis_conn, "alice", [make_event("click") for _ in range(3)])
    folder = tmp_path / "elsewhere"
    folder.mkdir()

    result = run(["worker", "--burst"], env, 120, cwd=folder)

    assert result.returncode == 0, result.stderr[-2000:]
    assert list(folder.iterdir()) == [], "the burst made a data dir where it ran"
    records = sealed_records(datasets.parent if own_datasets else theirs)
    assert len(records) == 3
    assert not (theirs / "datasets").exists() if own_datasets else not any(datasets.iterdir())
    assert {r["contributor"] for r in records} == {pseudonym("their-secret", "alice")}
