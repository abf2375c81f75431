"""`overt datasets` on a wrong location, --out or --since: one clear line, never a clean-looking
empty dataset, never an exception's class name."""

from __future__ import annotations

import re

import pytest
from click.testing import CliRunner

from backend.cli import main
from backend.core import audit as audit_log
from backend.core.consent import set_consent
from backend.core.policy import get_policy
from tests.helpers import make_event
from tests.integration.me_helpers import queue_raw, seal

# "FileNotFoundError:", "ValueError:" ...: what a person should never have to read.
CLASS_NAME = re.compile(r"\b[A-Z][A-Za-z]+(Error|Exception):")


def run(*args, **env):
    """Run `overt datasets ...` in-process on the test's environment (plus `env`)."""
    return CliRunner().invoke(main, ["datasets", *args], env=env or None)


def one_line(result, code: int) -> str:
    """Check `result` failed with `code` and one line of stderr without a class name; return it."""
    assert result.exit_code == code, (result.exit_code, result.output)
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and not CLASS_NAME.search(lines[0]), result.stderr
    assert "Traceback" not in result.output
    return lines[0]


@pytest.mark.parametrize("command, code", [("list", 2), ("verify", 1)])
def test_a_configured_location_that_does_not_exist(settings, tmp_path, command, code):
    """OVERT_DATASETS_URL naming no folder is an error, not "0 shard(s)" and exit 0."""
    missing = tmp_path / "does-not-exist"
    line = one_line(run(command, OVERT_DATASETS_URL=str(missing)), code)
    assert str(missing) in line and "OVERT_DATASETS_URL" in line and "no such folder" in line


@pytest.mark.parametrize("command, code", [("list", 2), ("verify", 1)])
def test_a_configured_location_that_is_a_file(settings, tmp_path, command, code):
    """OVERT_DATASETS_URL naming a file: "not a folder", one line."""
    a_file = tmp_path / "passwd"
    a_file.write_text("root:x:0:0\n")
    assert "not a folder" in one_line(run(command, OVERT_DATASETS_URL=str(a_file)), code)


@pytest.mark.parametrize("command", ["list", "verify"])
@pytest.mark.parametrize("url", ["bogus://x", "ftp://nowhere.invalid/datasets"])
def test_an_unknown_scheme(settings, command, url):
    """OVERT_DATASETS_URL=bogus://x, or a scheme fsspec knows but Overt does not take (ftp://,
    which fsspec tried to connect to: "Name or service not known"), names the location and
    says what is accepted."""
    line = one_line(run(command, OVERT_DATASETS_URL=url), 2)
    assert url in line and "s3://" in line


def test_a_bucket_that_does_not_exist(settings, request, monkeypatch):
    """s3:// of a bucket that does not exist is an error too (a prefix may be empty)."""
    from tests.conftest import s3_datasets_url

    s3_datasets_url(request, monkeypatch)  # a real S3 server and its settings
    line = one_line(run("list", OVERT_DATASETS_URL="s3://no-such-bucket-here/datasets"), 2)
    assert "bucket no-such-bucket-here does not exist" in line


def test_s3_commands_print_only_their_own_lines(settings, request, monkeypatch):
    """A real `overt datasets` process on S3 writes its one line, without botocore's INFO log
    ("Found credentials in environment variables.") before it on every run."""
    from tests.conftest import s3_datasets_url
    from tests.integration.processes import overt_env
    from tests.integration.processes import run as run_overt

    url = s3_datasets_url(request, monkeypatch)
    missing = run_overt(
        ["datasets", "list"], overt_env(settings, OVERT_DATASETS_URL="s3://no-such-bucket-here/d")
    )
    assert missing.returncode == 2
    assert missing.stderr.splitlines() == [
        "overt: error: no datasets at s3://no-such-bucket-here/d (from OVERT_DATASETS_URL): "
        "bucket no-such-bucket-here does not exist"
    ]
    empty = run_overt(["datasets", "verify"], overt_env(settings, OVERT_DATASETS_URL=url))
    assert (empty.returncode, empty.stderr) == (0, "")


def test_the_default_location_before_anything_is_sealed(settings):
    """A fresh install (no <data dir>/datasets yet) has no shards: said plainly, exit 0."""
    assert not (settings.data_dir / "datasets").exists()
    listed = run("list")
    assert listed.exit_code == 0 and "no shards yet" in listed.stdout, listed.output
    verified = run("verify")
    assert verified.exit_code == 0 and "nothing to verify" in verified.stdout, verified.output


def test_verify_head_before_anything_is_sealed(settings):
    """No dataset holds no manifest line, so not the one --head names: exit 1, not "nothing to
    verify" and exit 0."""
    line = one_line(run("verify", "--head", "a" * 64), 1)
    assert "no manifest line has --head" in line, line


@pytest.mark.parametrize("head", ["abc", "g" * 64, "a" * 65, ""])
def test_verify_head_must_be_a_sha256(redis_conn, settings, head):
    """--head takes the 64 hex digits of a sha256: anything else is an argument error, exit 2."""
    result = run("verify", "--head", head)
    assert result.exit_code == 2, result.output
    assert "Invalid value for '--head'" in result.stderr and "64 hex digits" in result.stderr
    assert "Traceback" not in result.output


@pytest.mark.parametrize(
    "against, says",
    [
        ("{tmp}/missing", "no such folder"),
        ("{tmp}/empty", "no manifest.jsonl there"),
        ("{tmp}/empty/a-file", "not a folder"),
        ("bogus://x", "is not a folder, file://... or s3://bucket/prefix"),
        ("ftp://nowhere.invalid/datasets", "is not a folder, file://... or s3://bucket/prefix"),
    ],
)
def test_verify_against_a_location_without_datasets(redis_conn, settings, tmp_path, against, says):
    """--against must name datasets to compare with: a location without a manifest (a typo,
    an empty folder) is an argument error, exit 2, never a copy said to disagree with it."""
    set_consent(redis_conn, "alice", {"clicks": True}, get_policy(redis_conn), "dev_test")
    queue_raw(redis_conn, "alice", [make_event("click") for _ in range(2)])
    seal(redis_conn, settings)
    (tmp_path / "empty").mkdir()
    (tmp_path / "empty" / "a-file").write_text("x")
    url = against.format(tmp=tmp_path)
    result = run("verify", "--against", url)
    assert result.exit_code == 2, result.output
    assert "Invalid value for '--against'" in result.stderr and says in result.stderr
    assert "Traceback" not in result.output and not CLASS_NAME.search(result.stderr)
    assert run("verify", "--against", settings.datasets_location).exit_code == 0


def test_an_out_folder_that_cannot_be_made(redis_conn, settings):
    """--out under a folder that cannot exist: one line naming --out, nothing audited."""
    line = one_line(run("export", "--out", "/proc/nope/x"), 2)
    assert "--out /proc/nope/x" in line and "No such file or directory" in line
    assert audit_log.read_audit(redis_conn) == []


def test_since_past_the_manifest_end_is_refused(redis_conn, settings, tmp_path):
    """--since beyond the manifest's last line cannot be a line a copy saw: refused, unaudited."""
    set_consent(redis_conn, "alice", {"clicks": True}, get_policy(redis_conn), "dev_test")
    queue_raw(redis_conn, "alice", [make_event("click") for _ in range(2)])
    seal(redis_conn, settings)
    line = one_line(run("export", "--out", str(tmp_path / "copy"), "--since", "999"), 2)
    assert "--since 999" in line and "--since 1" in line
    assert audit_log.read_audit(redis_conn) == []
    done = run("export", "--out", str(tmp_path / "copy"), "--since", "1")
    assert done.exit_code == 0 and "exported 0 shard(s)" in done.output, done.output


def test_since_with_the_steps_format_is_refused(redis_conn, settings, tmp_path):
    """`--format steps` writes every episode: a --since there was ignored (and audited as 0)."""
    refused = run("export", "--format", "steps", "--out", str(tmp_path / "s"), "--since", "3")
    assert refused.exit_code == 2, refused.output
    assert "--since is for parquet and jsonl" in refused.stderr
    assert not (tmp_path / "s").exists() and audit_log.read_audit(redis_conn) == []
    done = run("export", "--format", "steps", "--out", str(tmp_path / "s"), "--since", "0")
    assert done.exit_code == 0 and "0 episode(s)" in done.output, done.output


@pytest.mark.parametrize(
    "args",
    [
        ("export", "--format", "jsonl", "--out", "{root}"),
        ("export", "--out", "{root}/data"),
        ("export", "--format", "steps", "--out", "{root}/cards/x"),
        ("split", "--out", "{root}/data"),
    ],
)
def test_an_out_folder_inside_the_datasets_is_refused(redis_conn, settings, args):
    """A copy written into the live datasets became part of them: JSONL files and a card naming
    them beside the shards (then `verify` checked the JSONL copy and said ok), or a train/ folder
    that a reader of data/ took for the dataset. Refused before anything is written or audited."""
    set_consent(redis_conn, "alice", {"clicks": True}, get_policy(redis_conn), "dev_test")
    queue_raw(redis_conn, "alice", [make_event("click") for _ in range(2)])
    seal(redis_conn, settings)
    root = settings.data_dir / "datasets"
    before = sorted(p for p in root.rglob("*"))
    line = one_line(run(*(a.format(root=root) for a in args)), 2)
    assert "would write into the datasets" in line
    assert sorted(p for p in root.rglob("*")) == before
    assert audit_log.read_audit(redis_conn) == []
    assert run("verify").exit_code == 0


def test_an_out_folder_holding_the_datasets_where_a_copy_writes_is_refused(
    redis_conn, settings, tmp_path
):
    """Datasets at <X>/data: `--out X` would write its shards among them; `--out` beside is fine."""
    root = tmp_path / "x" / "data"
    root.mkdir(parents=True)
    refused = run("export", "--out", str(tmp_path / "x"), OVERT_DATASETS_URL=str(root))
    assert "would write into the datasets" in one_line(refused, 2)
    beside = run("export", "--out", str(tmp_path / "copy"), OVERT_DATASETS_URL=str(root))
    assert beside.exit_code == 0, beside.output


@pytest.mark.parametrize("bad", [b"5", b"[]", b'"sealed"', b"null", b"{bad"])
@pytest.mark.parametrize(
    "args, code", [(("verify",), 1), (("list",), 2), (("export", "--out", "{tmp}/copy"), 2)]
)
def test_a_manifest_line_that_is_not_an_object(redis_conn, settings, tmp_path, bad, args, code):
    """A manifest line that is JSON but not an object (`5`, `[]`) ended `verify`, `list` and
    `export` with a traceback (AttributeError); `list` said only json's own message for one
    that is not JSON. Each names the manifest's line, in one line."""
    set_consent(redis_conn, "alice", {"clicks": True}, get_policy(redis_conn), "dev_test")
    queue_raw(redis_conn, "alice", [make_event("click") for _ in range(2)])
    seal(redis_conn, settings)
    manifest = settings.data_dir / "datasets" / "manifest.jsonl"
    lines = manifest.read_bytes().count(b"\n")
    with manifest.open("ab") as fh:
        fh.write(bad + b"\n")
    line = one_line(run(*(a.format(tmp=tmp_path) for a in args)), code)
    assert f"manifest.jsonl line {lines + 1}: not a JSON object" in line, line


# The commands that read every shard's records.
READERS = [
    ("export", "--format", "jsonl", "--out", "{tmp}/copy"),
    ("export", "--format", "steps", "--out", "{tmp}/copy"),
    ("split", "--out", "{tmp}/copy"),
]


@pytest.mark.parametrize("args", READERS)
def test_a_damaged_shard_is_named(redis_conn, settings, tmp_path, args):
    """A shard that is not Parquet any more: pyarrow's "Could not open Parquet input source
    '<Buffer>'" said neither which file nor what to do. One line names the shard."""
    set_consent(redis_conn, "alice", {"clicks": True}, get_policy(redis_conn), "dev_test")
    queue_raw(redis_conn, "alice", [make_event("click") for _ in range(2)])
    seal(redis_conn, settings)
    root = settings.data_dir / "datasets"
    (shard,) = root.glob("data/*/*.parquet")
    shard.write_bytes(b"not parquet\n")
    line = one_line(run(*(a.format(tmp=tmp_path) for a in args)), 2)
    assert shard.relative_to(root).as_posix() in line and "overt datasets verify" in line, line
    assert "<Buffer>" not in line


@pytest.mark.parametrize("damage", ["shard", "card"])
@pytest.mark.parametrize("fmt", ["parquet", "jsonl"])
def test_an_export_refuses_a_shard_or_card_the_manifest_does_not_describe(
    redis_conn, settings, tmp_path, damage, fmt
):
    """A Parquet export copied shards and cards byte for byte without checking them: a shard
    with a byte appended (or a card edited) was copied, the command exited 0 and audited the
    export, and the copy then failed `overt datasets verify`. It fails with one line naming the
    file and what to do; no manifest is written to the copy and nothing is audited."""
    set_consent(redis_conn, "alice", {"clicks": True}, get_policy(redis_conn), "dev_test")
    queue_raw(redis_conn, "alice", [make_event("click") for _ in range(2)])
    seal(redis_conn, settings)
    root = settings.data_dir / "datasets"
    (path,) = root.glob("data/*/*.parquet" if damage == "shard" else "cards/*/*.card.json")
    path.write_bytes(path.read_bytes() + (b"\0" if damage == "shard" else b"\n"))
    before = audit_log.read_audit(redis_conn)
    copy = tmp_path / "copy"
    line = one_line(run("export", "--format", fmt, "--out", str(copy)), 2)
    assert path.relative_to(root).as_posix() in line and "overt datasets verify" in line, line
    assert not (copy / "manifest.jsonl").exists()
    assert audit_log.read_audit(redis_conn) == before


@pytest.mark.parametrize("args", [("export", "--format", "parquet", "--out", "{tmp}/c"), *READERS])
def test_a_missing_shard_is_named(redis_conn, settings, tmp_path, args):
    """A shard the manifest holds as live that is gone from the datasets (a copy cut short):
    every reader fails with one line naming it, none writes a dataset without it (split and the
    steps export skipped it and exited 0)."""
    set_consent(redis_conn, "alice", {"clicks": True}, get_policy(redis_conn), "dev_test")
    for _ in range(2):
        queue_raw(redis_conn, "alice", [make_event("click") for _ in range(2)])
        seal(redis_conn, settings)
    root = settings.data_dir / "datasets"
    first, _ = sorted(root.glob("data/*/*.parquet"))
    first.unlink()
    line = one_line(run(*(a.format(tmp=tmp_path) for a in args)), 2)
    assert first.relative_to(root).as_posix() in line and "missing" in line, line
    if args[0] == "split" or "steps" in args:  # checked before anything is read or written
        assert not [p for p in (tmp_path / "copy").rglob("*") if p.is_file()]


@pytest.mark.parametrize("first, second", [("parquet", "jsonl"), ("jsonl", "parquet")])
def test_an_export_into_a_copy_of_the_other_format_is_refused(
    redis_conn, settings, tmp_path, first, second
):
    """A jsonl export into a folder holding a parquet copy (or the reverse) wrote its files
    beside the other's under data/: `verify` of the copy failed and readers of data/ loaded both
    formats. Refused with one line before anything is written or audited; the copy still
    verifies."""
    set_consent(redis_conn, "alice", {"clicks": True}, get_policy(redis_conn), "dev_test")
    queue_raw(redis_conn, "alice", [make_event("click") for _ in range(2)])
    seal(redis_conn, settings)
    copy = tmp_path / "copy"
    assert run("export", "--format", first, "--out", str(copy)).exit_code == 0
    before = sorted(p for p in copy.rglob("*"))
    entries = len(audit_log.read_audit(redis_conn))
    line = one_line(run("export", "--format", second, "--out", str(copy)), 2)
    assert f"holds a {first} copy" in line, line
    assert sorted(p for p in copy.rglob("*")) == before
    assert len(audit_log.read_audit(redis_conn)) == entries
    assert run("verify", OVERT_DATASETS_URL=str(copy)).exit_code == 0
    again = run("export", "--format", first, "--out", str(copy), "--since", "1")
    assert again.exit_code == 0, again.output


@pytest.mark.parametrize("val", ["nan", "NaN"])
def test_split_val_must_be_a_number_from_0_to_1(redis_conn, settings, tmp_path, val):
    """click's FloatRange(0, 1) let NaN through (every comparison with it is false): the split
    ran, and its audit entry held `"val": NaN`."""
    result = run("split", "--val", val, "--out", str(tmp_path / "s"))
    assert result.exit_code == 2, result.output
    assert "--val" in result.stderr and "Traceback" not in result.output
    assert not (tmp_path / "s").exists() and audit_log.read_audit(redis_conn) == []
