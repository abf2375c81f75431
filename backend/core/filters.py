"""Which events may enter a dataset: consent, pause windows, purges and erasures.

Checked when an event is staged and again when its batch is sealed, so a change made while an
event waits in between still applies to it.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

import redis

from . import keys, pauses
from .records import Entry

# The drop reason of an event sent before its employee's erasure (backend/core/erase.py counts
# what it purges under it too).
ERASED = "erased"


@dataclass
class Rules:
    """A snapshot of everything that can keep an event out of a dataset."""

    grants: dict[str, dict[str, int]]  # employee -> category -> ms granted since
    pause_records: list[dict]
    erased: dict[str, int]  # employee -> ms of latest erasure

    def drop_reason(self, entry: Entry) -> str | None:
        """Return why `entry` must not enter a dataset, or None when it may."""
        return self.reason(entry.employee, entry.team, entry.category, entry.received, entry.ts)

    def reason(self, employee: str, team: str, category: str, received: int, ts: int) -> str | None:
        """Return why an event at `ts` received at `received` must not enter a dataset."""
        # By event time too: what sat in the extension's outbox during an erasure is erased.
        if min(received, ts) <= self.erased.get(employee, -1):
            return ERASED
        since = self.grants.get(employee, {}).get(category)
        if since is None:
            return "no_consent"
        if ts < since:
            return "before_consent"
        for p in self.pause_records:
            if not pauses.matches(p["scope"], employee, team):
                continue
            # A purge asked of a scope already paused covers what arrived until it (purged_ms).
            if p.get("purge") and received <= p.get("purged_ms", p["since_ms"]):
                return "purged"
            until = p["until_ms"] if p["until_ms"] is not None else float("inf")
            if p["since_ms"] <= ts <= until:
                return "paused"
        return None


def load_rules(r: redis.Redis, employees: set[str]) -> Rules:
    """Read the rules that apply to `employees` in one round trip."""
    pipe = r.pipeline(transaction=False)
    ordered = queue_rules(pipe, employees)
    return rules_of(ordered, pipe.execute())


def queue_rules(pipe, employees: set[str]) -> list[str]:
    """Queue on `pipe` the reads of the rules that apply to `employees` (last on it); return the
    employees in the order `rules_of` needs."""
    ordered = sorted(employees)
    for employee in ordered:
        pipe.hgetall(keys.key(keys.KEY_CONSENT, employee=employee))
    pipe.hvals(keys.KEY_PAUSES)
    pipe.hgetall(keys.KEY_ERASED)
    return ordered


def rules_of(ordered: list[str], replies: list) -> Rules:
    """Return the rules from the replies of a pipeline whose last reads `queue_rules` queued."""
    *grants_raw, pause_raw, erased_raw = replies[len(replies) - len(ordered) - 2 :]
    grants = {
        e: {k.decode(): int(v) for k, v in g.items()}
        for e, g in zip(ordered, grants_raw, strict=True)
    }
    return Rules(
        grants=grants,
        pause_records=[json.loads(p) for p in pause_raw],
        erased={k.decode(): int(v) for k, v in erased_raw.items()},
    )
