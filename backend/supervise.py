"""Keep a child process running: `overt up` restarts its worker if it ever dies."""

from __future__ import annotations

import logging
import signal
import subprocess
import threading
import time

log = logging.getLogger(__name__)

RESTART_DELAY = 1.0
RESTART_DELAY_MAX = 30.0
STABLE_AFTER = 30.0  # a child that ran this long gets the short delay again
STOP_TIMEOUT = 15.0


def exit_reason(code: int) -> str:
    """Describe a child's exit code: `exit code 1` or `killed by SIGKILL`."""
    if code < 0:
        try:
            return f"killed by {signal.Signals(-code).name}"
        except ValueError:
            return f"killed by signal {-code}"
    return f"exit code {code}"


class Supervisor:
    """Run `args` in a child process and start it again, with backoff, whenever it exits."""

    def __init__(self, name: str, args: list[str], env: dict):
        self.name, self.args, self.env = name, args, env
        self.stopping = threading.Event()
        self.lock = threading.Lock()
        self.process: subprocess.Popen | None = None
        self.restarts = 0
        self.thread = threading.Thread(target=self._run, name=f"supervise-{name}", daemon=True)

    def start(self) -> Supervisor:
        """Start the child and the thread that watches it."""
        self._spawn()
        self.thread.start()
        return self

    def _spawn(self) -> None:
        with self.lock:
            if not self.stopping.is_set():
                self.process = subprocess.Popen(self.args, env=self.env)

    def _run(self) -> None:
        delay = RESTART_DELAY
        while not self.stopping.is_set():
            started = time.monotonic()
            code = self.process.wait()
            if self.stopping.is_set():
                return
            delay = RESTART_DELAY if time.monotonic() - started > STABLE_AFTER else delay
            log.warning(
                "%s (pid %d) died: %s; restarting in %.0f s",
                self.name,
                self.process.pid,
                exit_reason(code),
                delay,
            )
            if self.stopping.wait(delay):
                return
            self._spawn()
            self.restarts += 1
            log.warning("%s restarted (pid %d)", self.name, self.process.pid)
            delay = min(delay * 2, RESTART_DELAY_MAX)

    def stop(self) -> None:
        """Stop watching, then stop the child (SIGTERM, then SIGKILL after a grace period)."""
        with self.lock:
            self.stopping.set()
            process = self.process
        if process is None or process.poll() is not None:
            return
        process.terminate()
        try:
            process.wait(timeout=STOP_TIMEOUT)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
