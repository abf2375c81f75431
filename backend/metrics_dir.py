"""gunicorn hooks that keep prometheus-client's multiprocess folder for `/metrics`.

Under gunicorn every worker process counts in its own files under PROMETHEUS_MULTIPROC_DIR, and
a scrape on any worker adds them all up (backend/metrics.py). These hooks run in gunicorn's
master: `on_starting` empties the folder (or makes a private one when the variable is unset)
before any worker starts, so the variable reaches every worker it forks; `child_exit` does
prometheus-client's bookkeeping for a worker that died (its live-gauge files go; its counter
and histogram files stay, so totals never go backwards after a worker is replaced); `on_exit`
removes the private folder. Used by backend/production.py and backend/gunicorn_conf.py.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

ENV = "PROMETHEUS_MULTIPROC_DIR"
_made: list[Path] = []  # the private folder on_starting created in this master, if any


def prepare(environ=os.environ) -> Path:
    """Point ENV at an empty folder: the one given (its metric files removed) or a new one."""
    given = environ.get(ENV)
    if not given:
        path = Path(tempfile.mkdtemp(prefix="overt-metrics-"))
        _made.append(path)
        environ[ENV] = str(path)
        return path
    path = Path(given)
    path.mkdir(parents=True, exist_ok=True)
    for stale in path.glob("*.db"):  # a previous run's counts would be added to this one's
        stale.unlink()
    return path


def on_starting(server) -> None:
    """gunicorn hook (master, before the first fork): prepare the folder."""
    prepare()


def child_exit(server, worker) -> None:
    """gunicorn hook (master): a worker process exited; tell prometheus-client."""
    # Imported here, after on_starting set ENV: prometheus-client picks its value class (one
    # file per process, or memory) when first imported, and workers inherit the master's modules.
    from prometheus_client import multiprocess

    multiprocess.mark_process_dead(worker.pid)


def on_exit(server) -> None:
    """gunicorn hook (master, on shutdown): remove the folder on_starting made, if it did."""
    while _made:
        shutil.rmtree(_made.pop(), ignore_errors=True)
