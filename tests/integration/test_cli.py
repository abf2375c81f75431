"""The `overt` commands, in-process through Click's CliRunner, against a real Redis.

The processes `overt up`, `serve` and `worker` start are tested as real subprocesses
(test_up.py, test_scale_out.py, test_erasure.py).
"""

import json

import pytest

from backend.cli import main
from backend.core import keys
from backend.core.records import EMPLOYEE
from tests.integration.me_helpers import clicks, queue_raw

COMMANDS = ["up", "serve", "worker", "enroll", "pause", "resume", "status", "policy", "datasets"]


@pytest.fixture
def overt(runner, redis_conn):
    """Return overt(*args, **env) -> click Result, run on the test's settings (env overrides)."""

    def invoke(*args, **env):
        return runner.invoke(main, list(args), prog_name="overt", env=env or None)

    return invoke


def test_help_explains_every_command(overt):
    """`overt --help` lists every command and each has its own help."""
    top = overt("--help")
    assert top.exit_code == 0
    for command in COMMANDS:
        assert command in top.stdout
        sub = overt(command, "--help")
        assert sub.exit_code == 0 and "Usage: overt " + command in sub.stdout


def test_enroll_pause_resume_status(overt, redis_conn):
    """enroll prints a token once; pause and resume change what status shows."""
    enrolled = overt("enroll", "alice", "--team", "sales")
    assert enrolled.exit_code == 0 and enrolled.stdout.strip().startswith("ovt_")
    token = enrolled.stdout.strip()
    assert token.encode() not in b"".join(redis_conn.hvals("overt:tokens")), "stored only hashed"
    paused = overt("pause", "--team", "sales", "--reason", "audit week")
    assert paused.exit_code == 0 and "paused: p_" in paused.stdout
    status = json.loads(overt("status", "--json").stdout)
    assert status["paused"][0]["scope"] == {"team": "sales"}
    assert "audit week" in overt("status").stdout
    resumed = overt("resume", "--team", "sales")
    assert resumed.exit_code == 0 and "resumed" in resumed.stdout
    assert json.loads(overt("status", "--json").stdout)["paused"] == []


def test_pause_purge_of_a_paused_scope_purges(overt, redis_conn):
    """`overt pause --purge` on an employee already paused still purges, and says how many."""
    queue_raw(redis_conn, "erin", clicks(4), team="sales")
    queue_raw(redis_conn, "bob", clicks(1), team="sales")
    first = overt("pause", "--employee", "erin", "--reason", "first")
    assert first.exit_code == 0 and first.stdout.startswith("paused: p_")
    again = overt("pause", "--employee", "erin", "--reason", "again", "--purge")
    assert again.exit_code == 0, again.output
    assert (
        again.stdout.startswith("already paused: p_") and "(4 queued events purged)" in again.stdout
    )
    left = [json.loads(x)[EMPLOYEE] for x in redis_conn.lrange(keys.KEY_INCOMING, 0, -1)]
    assert left == ["bob"]


@pytest.mark.parametrize(
    "args, needle",
    [
        (["pause", "--team", "a", "--employee", "b", "--reason", "x"], "not both"),
        (["pause", "--reason", "  "], "must not be empty"),
        (["pause", "--team", "", "--reason", "x"], "--team"),
        (["resume", "--employee", "a b"], "--employee"),
        (["enroll"], "EMPLOYEE"),
        (["enroll", "bad name!"], "invalid employee"),
        (["serve", "--port", "99999"], "--port"),
        (["resume", "--pause-id", "p_missing"], "no active pause"),
        (["resume", "--pause-id", "p_x", "--team", "sales"], "only one"),
        (["resume", "--pause-id", "p_x", "--employee", "erin"], "only one"),
        (["resume", "--pause-id", ""], "--pause-id"),
        (["resume", "--team", "bad team"], "--team"),
        (["pause", "--team", "bad team", "--reason", "x"], "letters, digits"),
        (["pause", "--reason", "r" * 501], "at most 500 characters"),
        (["pause", "--reason", "r" * 500 + "\n"], "at most 500 characters"),
        (["enroll", "a" * 129], "1-128 characters"),
        (["enroll", "alice", "--team", "a" * 129], "invalid team: 1-128 characters"),
        (["enroll", "alice\n"], "invalid employee"),
        (["frobnicate"], "No such command"),
    ],
)
def test_bad_arguments_exit_2_with_one_clear_line(overt, args, needle):
    """Bad arguments: exit code 2, a clear message, never a traceback."""
    result = overt(*args)
    assert result.exit_code == 2
    assert needle in result.stderr and "Traceback" not in result.stderr


def test_unreachable_redis_is_one_line(overt):
    """An unreachable Redis: exit 2 and one line naming the problem, without the password."""
    result = overt("status", OVERT_REDIS_URL="redis://:hunter2@127.0.0.1:1/0")
    assert result.exit_code == 2
    assert result.stderr.startswith("overt: error: cannot reach Redis")
    assert "hunter2" not in result.stderr and "Traceback" not in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


def test_unreachable_redis_is_one_line_for_the_worker_and_token_list(overt):
    """`overt worker --burst` says where the URL came from, as every command does; `overt admin
    token list` prints nothing of a list before its error."""
    url = "redis://127.0.0.1:1/0"
    for args in (("worker", "--burst"), ("admin", "token", "list")):
        result = overt(*args, OVERT_REDIS_URL=url)
        assert result.exit_code == 2, args
        assert result.stdout == "", args
        assert result.stderr.startswith("overt: error: cannot reach Redis"), args
        assert "(from OVERT_REDIS_URL)" in result.stderr, args
        assert len(result.stderr.strip().splitlines()) == 1, args


def test_no_redis_configured_and_none_embedded(overt, settings):
    """Without OVERT_REDIS_URL and no `overt up` running, the error says what to do."""
    result = overt("status", OVERT_REDIS_URL=None)
    assert result.exit_code == 2 and "OVERT_REDIS_URL" in result.stderr
    assert str(settings.data_dir) in result.stderr


def test_bad_environment_values(overt):
    """A malformed setting is a one-line error."""
    result = overt("status", OVERT_BATCH_SIZE="many")
    assert result.exit_code == 2 and "OVERT_BATCH_SIZE must be a number" in result.stderr


def test_a_burst_whose_jobs_failed_exits_1(overt, redis_conn, settings, tmp_path):
    """`overt worker --burst` that could not seal (datasets under a file here) exited 0, so a
    cron job or a script running it never saw the failure. It exits 1 with a last line saying
    so; a burst that seals exits 0, and nothing queued was lost."""
    from backend.core.consent import set_consent
    from backend.core.policy import get_policy
    from tests.helpers import make_event
    from tests.integration.processes import overt_env, run

    set_consent(redis_conn, "alice", {"clicks": True}, get_policy(redis_conn), "dev_test")
    queue_raw(redis_conn, "alice", [make_event("click") for _ in range(3)])
    a_file = tmp_path / "a-file"
    a_file.write_text("")
    env = overt_env(settings, OVERT_BATCH_MAX_AGE="0")
    failed = run(["worker", "--burst"], {**env, "OVERT_DATASETS_URL": str(a_file / "d")}, 120)
    assert failed.returncode == 1, failed.stderr[-2000:]
    last = failed.stderr.strip().splitlines()[-1]
    assert last.startswith("overt: error: ") and "1 job(s) failed" in last, failed.stderr
    sealed = run(["worker", "--burst"], env, 120)
    assert sealed.returncode == 0, sealed.stderr[-2000:]
    assert "3 event(s)" in overt("datasets", "list").stdout


@pytest.mark.parametrize(
    "args",
    [["status"], ["enroll", "alice"], ["worker", "--burst"], ["serve", "--port", "0"]],
)
def test_a_data_dir_that_is_a_file_is_one_line(overt, tmp_path, args):
    """OVERT_DATA_DIR naming a file, with the secrets to generate there: one line naming the
    variable and the path, exit 2 (it was a NotADirectoryError traceback)."""
    a_file = tmp_path / "not-a-folder"
    a_file.write_text("")
    result = overt(*args, OVERT_DATA_DIR=str(a_file), OVERT_ADMIN_TOKEN=None, OVERT_SECRET=None)
    assert result.exit_code == 2, result.output
    assert result.stderr.startswith("overt: error: OVERT_DATA_DIR"), result.stderr
    assert str(a_file) in result.stderr and "Traceback" not in result.output
    assert len(result.stderr.strip().splitlines()) == 1


@pytest.mark.parametrize(
    "args",
    [
        ["status"],
        ["enroll", "alice"],
        ["pause", "--reason", "x"],
        ["resume"],
        ["policy", "show"],
        ["audit", "verify"],
        ["worker", "--burst"],
        ["serve", "--port", "0"],
        ["up", "--port", "0"],
        ["datasets", "export", "--out", "unused"],
    ],
)
def test_malformed_redis_url_is_one_line(overt, args):
    """OVERT_REDIS_URL=notaurl: exit 2 and one line naming the variable, never a traceback."""
    result = overt(*args, OVERT_REDIS_URL="notaurl")
    assert result.exit_code == 2, result.output
    assert result.stderr.startswith("overt: error: ") and "(from OVERT_REDIS_URL)" in result.stderr
    assert "notaurl" in result.stderr and "Traceback" not in result.stderr
    assert "Error:" not in result.stderr  # no exception class name (ConfigError: ...)
    assert len(result.stderr.strip().splitlines()) == 1


def test_a_batch_size_beyond_the_limit_is_one_line(overt, redis_conn, settings):
    """`OVERT_BATCH_SIZE=10**20` was taken, and every seal then failed in Redis (`LRANGE`:
    "value is not an integer or out of range"), so nothing was ever sealed. It is a one-line
    configuration error (exit 2) before any work; what was queued is sealed by a worker with a
    valid size."""
    from backend.core.consent import set_consent
    from backend.core.policy import get_policy
    from tests.helpers import make_event
    from tests.integration.processes import overt_env, run

    set_consent(redis_conn, "alice", {"clicks": True}, get_policy(redis_conn), "dev_test")
    queue_raw(redis_conn, "alice", [make_event("click") for _ in range(3)])
    env = overt_env(settings, OVERT_BATCH_MAX_AGE="0")
    for size in (str(10**20), "1000001"):
        refused = run(["worker", "--burst"], {**env, "OVERT_BATCH_SIZE": size}, 120)
        assert refused.returncode == 2, refused.stderr[-2000:]
        assert refused.stderr.strip().splitlines() == [
            f"overt: error: OVERT_BATCH_SIZE must be at most 1,000,000, got '{size}'"
        ]
    assert redis_conn.llen(keys.KEY_INCOMING) == 3
    sealed = run(["worker", "--burst"], {**env, "OVERT_BATCH_SIZE": "1000000"}, 120)
    assert sealed.returncode == 0, sealed.stderr[-2000:]
    assert "3 event(s)" in overt("datasets", "list").stdout


def test_a_secret_with_a_newline_gives_the_same_pseudonyms(redis_conn, settings, admin):
    """`OVERT_SECRET` read from a secret file keeps its newline; it was used as the HMAC key as
    it was, so a worker given `"$SECRET\\n"` sealed under other pseudonyms than a backend given
    `$SECRET`: the employee's /me page and export found none of their sealed records, and an
    erasure would have missed them. It is stripped, as OVERT_ADMIN_TOKEN is."""
    from tests.helpers import make_event
    from tests.integration.processes import overt_env, run

    admin.set_policy()
    alice = admin.enroll("alice")
    admin.set_consent(alice, {"clicks": True})
    queue_raw(redis_conn, "alice", [make_event("click") for _ in range(3)])
    env = overt_env(settings, OVERT_BATCH_MAX_AGE="0", OVERT_SECRET=f" {settings.secret}\n")
    sealed = run(["worker", "--burst"], env, 120)
    assert sealed.returncode == 0, sealed.stderr[-2000:]
    overview = admin.call("GET", "/me/api/overview", token=alice)
    assert overview["counts"]["by_stage"]["sealed"] == 3, overview["counts"]


def test_surrounding_spaces_and_newlines_in_paths_and_urls_are_dropped(overt, settings):
    """`OVERT_DATA_DIR="/srv/overt "` (an env file's trailing space) named another data dir,
    shown in the error without its space; `OVERT_DATASETS_URL` with a secret file's newline was
    "no datasets at ... no such folder". Each variable is read stripped, as OVERT_ADMIN_TOKEN is;
    one of spaces only is unset."""
    data_dir = str(settings.data_dir)
    for env in (
        {"OVERT_DATA_DIR": f" {data_dir} \n"},
        {"OVERT_REDIS_URL": f"{settings.redis_url}\n"},
    ):
        result = overt("status", **env)
        assert result.exit_code == 0, (env, result.output)
    datasets = settings.data_dir / "datasets"
    datasets.mkdir()
    listed = overt("datasets", "list", OVERT_DATASETS_URL=f"{datasets}\n")
    assert listed.exit_code == 0 and "0 shard(s)" in listed.stdout, listed.output
    blank = overt("datasets", "list", OVERT_DATASETS_URL="  ")
    assert blank.exit_code == 0 and "0 shard(s)" in blank.stdout, blank.output
