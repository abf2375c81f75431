"""backend/metrics_dir.py: the multiprocess metrics folder gunicorn's master keeps."""

from __future__ import annotations

from backend import metrics_dir


def test_a_given_folder_is_emptied_of_metric_files(tmp_path):
    """PROMETHEUS_MULTIPROC_DIR set: a previous run's files go, other files stay, it is kept."""
    folder = tmp_path / "prom"
    folder.mkdir()
    (folder / "counter_123.db").write_bytes(b"old counts")
    (folder / "histogram_123.db").write_bytes(b"old counts")
    (folder / "README").write_text("not ours")
    env = {metrics_dir.ENV: str(folder)}
    assert metrics_dir.prepare(env) == folder
    assert sorted(p.name for p in folder.iterdir()) == ["README"]
    metrics_dir.on_exit(None)
    assert folder.exists()


def test_a_missing_folder_is_created(tmp_path):
    """A given folder that does not exist yet is created."""
    folder = tmp_path / "a" / "b"
    assert metrics_dir.prepare({metrics_dir.ENV: str(folder)}) == folder and folder.is_dir()


def test_unset_gets_a_private_folder_removed_on_exit(tmp_path, monkeypatch):
    """Unset: a new private folder is named in the environment, and removed on exit."""
    monkeypatch.setenv("TMPDIR", str(tmp_path))
    monkeypatch.setattr("tempfile.tempdir", None)
    env: dict = {}
    folder = metrics_dir.prepare(env)
    assert env[metrics_dir.ENV] == str(folder) and folder.parent == tmp_path
    (folder / "counter_1.db").write_bytes(b"x")
    metrics_dir.on_exit(None)
    assert not folder.exists()
