"""Fixtures for tests that run `overt` as real subprocesses."""

import pytest

from tests.integration.processes import Proc


@pytest.fixture
def spawn(tmp_path):
    """Start long-running `overt` processes; every one is stopped at teardown, pass or fail."""
    started: list[Proc] = []

    def spawn_(args, env, name) -> Proc:
        proc = Proc(args, env, tmp_path / f"{name}.log")
        started.append(proc)
        return proc

    yield spawn_
    for proc in started:
        proc.stop()
