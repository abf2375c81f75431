"""RQ job functions (importable by name: "workers.jobs.drain", ".tick", ".erase").

Jobs read the secret and data dir from the worker's own environment (never from job arguments,
which RQ stores in Redis) and take their Redis connection from the running job.
"""

from __future__ import annotations

import logging

from rq import get_current_job

from backend.core import actions, keys
from backend.core.config import load_settings

from .batches import is_due, seal_due
from .committer import COMMIT_DEPTH, stage_takes
from .queue import enqueue_drain
from .sealer import Sealer
from .stage import TAKE_SIZE, recover_orphans
from .staged_memory import STAGED

log = logging.getLogger(__name__)

MAX_TAKES_PER_JOB = 20
# Takes staged but not yet in the staged memory when a drain checks it: those waiting for their
# commit (workers/committer.py) and the one fetched meanwhile.
IN_FLIGHT = COMMIT_DEPTH + 1
# Seal runs a drain waits for, at most, when its staged memory is full (see `drain_queue`).
SEAL_RUNS_AWAITED = 2


def _connection():
    return get_current_job().connection


def drain_queue(
    r, settings, batching, max_takes: int = MAX_TAKES_PER_JOB, sealed: list | None = None
) -> int:
    """Stage queued events, up to `max_takes` takes; return how many events were taken.

    Batches that fall due meanwhile are sealed on a thread of their own (workers/sealer.py);
    their ids are added to `sealed`. Staging waits for a seal in flight rather than stage what
    the staged memory has no room for.
    """
    recover_orphans(r)
    with Sealer(r, settings, batching) as sealer:

        def after_take() -> None:
            sealer.poke()
            # Sealing reads what this worker just staged from memory (workers/staged_memory.py);
            # staging further ahead would find the memory full, and sealing would parse it all.
            # So wait for the seal run in flight (it seals every batch due), and for one more if
            # that one began before the memory filled; no longer: when the memory is full of
            # records not yet due, or that another worker sealed, no run frees it, and waiting
            # for run after run would never end.
            for _ in range(SEAL_RUNS_AWAITED):
                if len(STAGED) + IN_FLIGHT * TAKE_SIZE <= STAGED.limit or not sealer.busy():
                    break
                sealer.wait()
                sealer.poke()

        taken, more = stage_takes(r, settings.secret, max_takes, after_take, sealer.busy)
    if sealed is not None:
        sealed += sealer.sealed
    if more:  # a backlog is left: another job, maybe on another worker, continues
        enqueue_drain(r, *batching)
    return taken


def _batching(settings, batch_size, max_age) -> tuple[int, float]:
    # The enqueuer's batching settings win: `overt worker --burst` must seal by its own.
    return (
        batch_size if batch_size is not None else settings.batch_size,
        max_age if max_age is not None else settings.batch_max_age,
    )


def drain(batch_size: int | None = None, max_age: float | None = None) -> dict:
    """Job: stage what is queued, then seal any batch that became due."""
    r = _connection()
    settings = load_settings()
    batching = _batching(settings, batch_size, max_age)
    r.delete(keys.KEY_DRAIN_PENDING)  # frames arriving from now on enqueue a new drain
    sealed = []
    taken = drain_queue(r, settings, batching, sealed=sealed)
    if is_due(r, *batching):
        sealed += seal_due(r, settings.datasets_location, *batching, secret=settings.secret)
    return {"taken": taken, "sealed": sealed}


def tick(batch_size: int | None = None, max_age: float | None = None, force: bool = False):
    """Job: drain, then seal what is due by size or age (everything staged when `force`)."""
    r = _connection()
    settings = load_settings()
    batching = _batching(settings, batch_size, max_age)
    r.delete(keys.KEY_TICK_PENDING)
    sealed = []
    taken = drain_queue(r, settings, batching, sealed=sealed)
    sealed += seal_due(
        r, settings.datasets_location, *batching, force=force, secret=settings.secret
    )
    return {"taken": taken, "sealed": sealed}


def erase(
    employee: str, receipt_id: str, actor: str | None = None, reason: str | None = None
) -> dict:
    """Job: rewrite the sealed shards holding `employee` and complete the erasure receipt."""
    settings = load_settings()
    receipt = actions.complete_erasure(
        _connection(),
        settings.datasets_location,
        settings.secret,
        employee,
        receipt_id,
        actor,
        reason,
    )
    return {"receipt_id": receipt_id, "removed": receipt["removed_total"]}
