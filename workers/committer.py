"""Drain with Redis round trips off the critical path: takes fetched ahead, commits behind.

A drain (workers/jobs.py) used to wait on Redis for each take's scripts in turn (take, rules and
policy, count its words, commit) while doing nothing else. Here the main thread filters, redacts
and pseudonymises take N (`stage.prepare`) while one thread already fetches take N + 1 with the
rules and policy that apply to it (`stage.fetch`) and another counts the words of take N - 1 and
commits it (`stage.commit_take`). Takes are committed in the order they were taken, one at a
time (two at most wait), and a drain returns only once its last take is committed. Each commit
is atomic and deletes its own take, and a take fetched is in its own processing list until then,
so a worker killed with takes in flight loses and duplicates nothing (orphaned takes are queued
again: workers/stage.py). Rules read a take earlier are still rules read before its staging, and
sealing checks them again.
"""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor

import redis

from .stage import TAKE_SIZE, Take, commit_take, fetch, prepare

# Prepared takes that may wait for their commit at once.
COMMIT_DEPTH = 2
# While a seal is in flight and the queue holds less than a take: wait this long, then take again.
BUSY_PAUSE = 0.02


class Committer:
    """One thread committing prepared takes in order, at most `depth` of them waiting."""

    def __init__(self, r: redis.Redis, secret: str, depth: int = COMMIT_DEPTH):
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
    r: redis.Redis,
    secret: str,
    max_takes: int,
    after_take: Callable[[], None] | None = None,
    busy: Callable[[], bool] | None = None,
) -> tuple[int, bool]:
    """Stage up to `max_takes` takes; return the events taken and whether the queue may hold more.

    The next take is fetched while this one is filtered when this one was full and another take
    is allowed, so every take fetched is staged here; also, after a pause, while `busy()` (a seal
    in flight, workers/sealer.py: rather than wait for it, stage what arrives meanwhile).
    `after_take` is called after each take is handed over for its commit.
    """
    taken, full = 0, True
    with (
        ThreadPoolExecutor(max_workers=1, thread_name_prefix="overt-take") as taker,
        Committer(r, secret) as committer,
    ):
        upcoming: Future | None = taker.submit(fetch, r, TAKE_SIZE)
        for n in range(max_takes):
            fetched = upcoming.result()
            full = len(fetched.items) >= TAKE_SIZE
            upcoming = None
            if n + 1 < max_takes and (full or (busy is not None and busy())):
                upcoming = taker.submit(fetch, r, TAKE_SIZE, 0.0 if full else BUSY_PAUSE)
            if fetched.items:
                committer.submit(prepare(secret, fetched))
                taken += len(fetched.items)
                if after_take is not None:
                    after_take()
            if upcoming is None:
                break
    return taken, full
