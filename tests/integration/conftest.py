"""Fixtures of the integration tests: `overt` subprocesses and authenticated socket clients."""

import pytest

from tests.helpers import WSClient
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


@pytest.fixture
def connect(live_server):
    """Open authenticated clients; all closed at the end."""
    opened = []

    def open_(token):
        c = WSClient(live_server.ws_url)
        c.welcome = c.hello(token)
        opened.append(c)
        return c

    yield open_
    for c in opened:
        c.close()
