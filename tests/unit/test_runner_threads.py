"""While `overt worker` runs, its threads hand the GIL over sooner (workers/runner.py)."""

from __future__ import annotations

import sys

from workers import runner
from workers.gc_pacing import PACER


def test_the_switch_interval_is_the_workers_only_while_it_runs(monkeypatch):
    """run_worker sets SWITCH_INTERVAL and GC pacing for its run, and puts both back after."""
    seen = []

    def run(*args):
        seen.append((sys.getswitchinterval(), PACER.enabled))
        return True

    monkeypatch.setattr(runner, "_run_worker", run)
    before = sys.getswitchinterval()
    assert before != runner.SWITCH_INTERVAL
    assert runner.run_worker(None, None, burst=True) is True
    assert seen == [(runner.SWITCH_INTERVAL, True)]
    assert sys.getswitchinterval() == before and not PACER.enabled
