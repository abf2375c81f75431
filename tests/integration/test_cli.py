"""The `overt` command as a user runs it: a real subprocess against a real Redis."""

import json

import pytest

from tests.integration.processes import overt_env, run

COMMANDS = ["up", "serve", "worker", "enroll", "pause", "resume", "status", "policy", "datasets"]


@pytest.fixture
def env(settings, redis_conn):
    return overt_env(settings)


def test_help_explains_every_command(env):
    """`overt --help` lists every command and each has its own help."""
    top = run(["--help"], env)
    assert top.returncode == 0
    for command in COMMANDS:
        assert command in top.stdout
        sub = run([command, "--help"], env)
        assert sub.returncode == 0 and "Usage: overt " + command in sub.stdout


def test_enroll_pause_resume_status(env, redis_conn):
    """enroll prints a token once; pause and resume change what status shows."""
    enrolled = run(["enroll", "alice", "--team", "sales"], env)
    assert enrolled.returncode == 0 and enrolled.stdout.strip().startswith("ovt_")
    token = enrolled.stdout.strip()
    assert token.encode() not in b"".join(redis_conn.hvals("overt:tokens")), "stored only hashed"
    paused = run(["pause", "--team", "sales", "--reason", "audit week"], env)
    assert paused.returncode == 0 and "paused: p_" in paused.stdout
    status = json.loads(run(["status", "--json"], env).stdout)
    assert status["paused"][0]["scope"] == {"team": "sales"}
    assert "audit week" in run(["status"], env).stdout
    resumed = run(["resume", "--team", "sales"], env)
    assert resumed.returncode == 0 and "resumed" in resumed.stdout
    assert json.loads(run(["status", "--json"], env).stdout)["paused"] == []


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
        (["frobnicate"], "No such command"),
    ],
)
def test_bad_arguments_exit_2_with_one_clear_line(env, args, needle):
    """Bad arguments: exit code 2, a clear message, never a traceback."""
    result = run(args, env)
    assert result.returncode == 2
    assert needle in result.stderr and "Traceback" not in result.stderr


def test_unreachable_redis_is_one_line(settings):
    """An unreachable Redis: exit 2 and one line naming the problem, without the password."""
    env = overt_env(settings, OVERT_REDIS_URL="redis://:hunter2@127.0.0.1:1/0")
    result = run(["status"], env)
    assert result.returncode == 2
    assert result.stderr.startswith("overt: error: cannot reach Redis")
    assert "hunter2" not in result.stderr and "Traceback" not in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


def test_no_redis_configured_and_none_embedded(settings):
    """Without OVERT_REDIS_URL and no `overt up` running, the error says what to do."""
    env = overt_env(settings)
    del env["OVERT_REDIS_URL"]
    result = run(["status"], env)
    assert result.returncode == 2 and "OVERT_REDIS_URL" in result.stderr
    assert str(settings.data_dir) in result.stderr


def test_bad_environment_values(settings):
    """A malformed setting is a one-line error."""
    result = run(["status"], overt_env(settings, OVERT_BATCH_SIZE="many"))
    assert result.returncode == 2 and "OVERT_BATCH_SIZE must be a number" in result.stderr
