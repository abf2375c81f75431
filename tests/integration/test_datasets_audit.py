"""`overt datasets export` and `split` are audited: who, what, where, how much; never unaudited."""

from __future__ import annotations

import json
import socket
from pathlib import Path

import pytest
from click.testing import CliRunner

from backend.cli import main
from backend.cli_support import default_actor
from backend.core import audit as audit_log
from backend.core.consent import set_consent
from backend.core.policy import get_policy
from tests.helpers import make_event
from tests.integration.me_helpers import queue_raw, seal


def run(*args):
    """Run `overt ...` in-process on the test's environment."""
    return CliRunner().invoke(main, list(args))


@pytest.fixture
def sealed(redis_conn, settings) -> int:
    """Seal 3 shards of clicks from 4 employees (12 records); return the record count."""
    policy = get_policy(redis_conn)
    for i in range(4):
        set_consent(redis_conn, f"e{i}", {"clicks": True}, policy, "dev_test")
        queue_raw(redis_conn, f"e{i}", [make_event("click") for _ in range(3)])
    seal(redis_conn, settings, batch_size=4)
    return 12


def exports(r) -> list[dict]:
    """Return the dataset_export audit entries, oldest first."""
    return [e for e in audit_log.read_audit(r, 500) if e["action"] == "dataset_export"][::-1]


def test_export_is_audited_with_who_what_and_where(redis_conn, settings, sealed, tmp_path):
    """Each export appends one chained entry: the OS user, format, since, counts, destination."""
    out = tmp_path / "copy"
    first = run("datasets", "export", "--out", str(out))
    assert first.exit_code == 0, first.output
    assert f"exported 3 shard(s), removed 0; {sealed} record(s)" in first.output
    (entry,) = exports(redis_conn)
    assert entry["actor"] == default_actor() and entry["actor"].startswith("cli:")
    assert entry["format"] == "parquet" and entry["since"] == 0
    assert entry["shards"] == 3 and entry["removed"] == 0 and entry["records"] == sealed
    assert entry["destination"] == str(out.resolve())
    lines = entry["manifest_lines"]

    again = run("datasets", "export", "--out", str(out), "--since", str(lines), "--actor", "ops@x")
    assert again.exit_code == 0, again.output
    latest = exports(redis_conn)[-1]
    assert (latest["actor"], latest["since"], latest["shards"], latest["records"]) == (
        "ops@x",
        lines,
        0,
        0,
    )
    verified = run("audit", "verify")
    assert verified.exit_code == 0 and "intact" in verified.output, verified.output


def test_every_export_format_and_split_is_audited(redis_conn, settings, sealed, tmp_path):
    """JSONL, steps and a train/validation split each leave their entry; the chain verifies."""
    assert (
        run("datasets", "export", "--format", "jsonl", "--out", str(tmp_path / "j")).exit_code == 0
    )
    steps = run("datasets", "export", "--format", "steps", "--out", str(tmp_path / "s"))
    assert steps.exit_code == 0, steps.output
    split = run("datasets", "split", "--val", "0.5", "--out", str(tmp_path / "p"))
    assert split.exit_code == 0, split.output
    jsonl, steps_entry, split_entry = exports(redis_conn)
    assert (jsonl["format"], jsonl["records"], jsonl["shards"]) == ("jsonl", sealed, 3)
    assert steps_entry["format"] == "steps" and {"episodes", "steps"} <= set(steps_entry)
    assert split_entry["format"] == "split" and split_entry["val"] == 0.5
    assert split_entry["train_records"] + split_entry["validation_records"] == sealed
    assert split_entry["destination"] == str((tmp_path / "p").resolve())
    assert run("audit", "verify").exit_code == 0


def closed_port() -> int:
    """Return a local port nothing listens on."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.mark.parametrize("command", [["export"], ["export", "--format", "steps"], ["split"]])
def test_no_export_without_the_audit_log(
    redis_conn, settings, sealed, tmp_path, monkeypatch, command
):
    """Redis unreachable: one typed line, exit 2, nothing written, nothing half-audited."""
    monkeypatch.setenv("OVERT_REDIS_URL", f"redis://127.0.0.1:{closed_port()}/0")
    out = tmp_path / "copy"
    result = run("datasets", *command, "--out", str(out))
    assert result.exit_code == 2, result.output
    (line,) = result.output.strip().splitlines()
    assert line.startswith("overt: error: nothing exported: an export must be audited")
    assert "cannot reach Redis" in line
    assert not out.exists()
    assert exports(redis_conn) == []


def test_a_bad_actor_is_refused(settings, tmp_path):
    """--actor is 1-100 printable characters (it becomes an audit log field)."""
    result = run("datasets", "export", "--out", str(tmp_path / "c"), "--actor", "a\nb")
    assert result.exit_code == 2 and "--actor" in result.output
    assert not Path(tmp_path / "c").exists()


def test_entries_hold_counts_not_records(redis_conn, settings, sealed, tmp_path):
    """The audit entry names ids and counts only: no record, contributor or event content."""
    assert run("datasets", "export", "--out", str(tmp_path / "c")).exit_code == 0
    text = json.dumps(exports(redis_conn))
    assert "click" not in text and "contributor" not in text and "app.example.com" not in text


def test_removed_counts_files_removed_from_the_copy(redis_conn, settings, tmp_path):
    """A shard deleted by an erasure is removed from a copy that held it, and counted there; a
    new copy never held it, so nothing is removed from it (output and audit entry agree)."""
    from backend.core.erase import erase_employee

    policy = get_policy(redis_conn)
    for batch in (["e0"], ["e1", "e2"]):  # e0 alone in the first shard: erasing e0 deletes it
        for name in batch:
            set_consent(redis_conn, name, {"clicks": True}, policy, "dev_test")
            queue_raw(redis_conn, name, [make_event("click") for _ in range(3)])
        seal(redis_conn, settings)
    old = tmp_path / "old"
    assert run("datasets", "export", "--out", str(old)).exit_code == 0
    seen = exports(redis_conn)[-1]["manifest_lines"]
    held = sorted(p.relative_to(old) for p in old.glob("data/*/*.parquet"))
    erase_employee(redis_conn, settings.datasets_location, settings.secret, "e0")

    fresh = run("datasets", "export", "--out", str(tmp_path / "fresh"))
    assert "exported 1 shard(s), removed 0;" in fresh.output, fresh.output
    assert exports(redis_conn)[-1]["removed"] == 0
    synced = run("datasets", "export", "--out", str(old), "--since", str(seen))
    assert "exported 0 shard(s), removed 1;" in synced.output, synced.output
    assert exports(redis_conn)[-1]["removed"] == 1
    assert len(held) == 2 and len(list(old.glob("data/*/*.parquet"))) == 1
    again = run("datasets", "export", "--out", str(old), "--since", str(seen))
    assert "removed 0;" in again.output, again.output  # already gone: nothing removed this time
