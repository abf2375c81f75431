"""Drain with Redis round trips off the critical path: takes fetched ahead, commits behind.

A drain (workers/jobs.py) used to wait on Redis for each take's three scripts in turn (take,
count its words, commit) while doing nothing else. Here the main thread filters, redacts and
pseudonymises take N (`stage.prepare`) while one thread already fetches take N + 1 and another
counts the words of take N - 1 and commits it (`stage.commit_take`). Takes are committed in the
order they were taken, one at a time (two at most wait), and a drain returns only once its last
take is committed. Each commit is atomic and deletes its own take, and a take fetched is in its own processing list
until then, so a worker killed with takes in flight loses and duplicates nothing (orphaned takes
are queued again: workers/stage.py).
"""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor

import redis

from .stage import TAKE_SIZE, Take, commit_take, prepare, take


class Committer:
    """One thread committing prepared takes in order, at most `depth` of them waiting."""

    def __init__(self, r: redis.Redis, secret: str, depth: int = 2):
        self.r, self.secret, self.depth = r, secret, depth
        self.pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="overt-commit")
        self.pending: list[Future] = []

    def __enter__(self) -> Committer:
        return self

    def submit(self, prepared: Take) -> None:
        """Queue `prepared` for its commit, after the takes before it (raising if one failed)."""
        while len(self.pending) >= self.depth:
            self.pending.pop(0).result()
        self.pending.append(self.pool.submit(commit_take, self.r, self.secret, prepared))

    def wait(self) -> None:
        """Wait for every take handed over to be committed; raise what a commit raised."""
        while self.pending:
            self.pending.pop(0).result()

    def __exit__(self, exc_type, exc, tb) -> None:
        try:
            if exc_type is None:
                self.wait()
        finally:
            self.pool.shutdown(wait=True)  # on an error, the commits queued still finish


def stage_takes(
    r: redis.Redis, secret: str, max_takes: int, after_take: Callable[[], None] | None = None
) -> tuple[int, bool]:
    """Stage up to `max_takes` takes; return the events taken and whether the queue may hold more.

    The next take is fetched while this one is filtered only when this one was full and another
    take is allowed, so every take fetched is staged here. `after_take` is called after each
    take is handed over for its commit (workers/sealer.py).
    """
    taken = 0
    with (
        ThreadPoolExecutor(max_workers=1, thread_name_prefix="overt-take") as taker,
        Committer(r, secret) as committer,
    ):
        upcoming: Future | None = taker.submit(take, r, TAKE_SIZE)
        for n in range(max_takes):
            take_id, items = upcoming.result()
            full = len(items) >= TAKE_SIZE
            upcoming = taker.submit(take, r, TAKE_SIZE) if full and n + 1 < max_takes else None
            if items:
                committer.submit(prepare(r, secret, take_id, items))
                taken += len(items)
                if after_take is not None:
                    after_take()
            if upcoming is None:
                return taken, full
    return taken, True
