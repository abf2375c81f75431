"""`overt serve`'s server: gunicorn with gevent workers, run through gunicorn's application API.

`backend/cli.py` binds the listening socket (so a port in use is one line and `--port 0` works),
then replaces itself with `python -m backend.production`, passing the socket's descriptor. This
module imports only gunicorn, so the master process never loads redis, ssl or Flask before gevent
patches them: each worker creates the app after the fork and after gevent's monkey-patching (the
app starts its control listener and heartbeat per process, which is also why there is no preload).
"""

from __future__ import annotations

import argparse
import logging
import resource

from gunicorn.app.base import BaseApplication

from backend import metrics_dir

# Simultaneous sockets per worker process (gunicorn's default is 1,000); each extension holds one.
WORKER_CONNECTIONS = 10_000


def _json_errors(worker) -> None:
    """In a worker: answer requests gunicorn refuses in the one JSON error shape."""
    from backend.gunicorn_conf import install_json_errors

    install_json_errors()


class OvertServer(BaseApplication):
    """gunicorn + gevent serving `backend.create_app()` on an already bound socket."""

    def __init__(self, fd: int, host: str, port: int, workers: int, connections: int):
        self.options = {
            "bind": [f"fd://{fd}"],
            "worker_class": "gevent",
            "workers": workers,
            "worker_connections": connections,
            "control_socket_disable": True,  # gunicorn >= 25.1; several servers per user
            # As backend/gunicorn_conf.py: the longest request line, and JSON for what gunicorn
            # refuses itself (installed in each worker, after gevent's patching).
            "limit_request_line": 8190,
            "post_worker_init": _json_errors,
            # /metrics adds up every worker: prometheus-client's multiprocess folder, kept by
            # the master (backend/metrics_dir.py).
            "on_starting": metrics_dir.on_starting,
            "child_exit": metrics_dir.child_exit,
            "on_exit": metrics_dir.on_exit,
            "when_ready": lambda arbiter: print(
                f"overt: backend on http://{host}:{port} (WebSocket /ws; "
                f"{workers} gevent worker{'s' if workers != 1 else ''})",
                flush=True,
            ),
        }
        super().__init__(prog="overt serve")

    def load_config(self) -> None:
        for name, value in self.options.items():
            if name in self.cfg.settings:
                self.cfg.set(name, value)

    def load(self):
        from backend import create_app

        # As the CLI does: the backend's INFO lines (ids and counts) go to stderr with gunicorn's,
        # with the process id, as gunicorn's own lines have it: the workers share one stderr.
        logging.basicConfig(
            level=logging.INFO,
            format="%(asctime)s [%(process)d] %(name)s %(levelname)s %(message)s",
        )
        return create_app()


def raise_open_file_limit(connections: int) -> int:
    """Raise this process's soft limit on open files towards what its workers need; return it.

    Each socket is a descriptor, and many systems start processes with a soft limit of 1,024: a
    worker would refuse connections past it while `connections` allows 10,000. The soft limit
    goes up to `connections` plus room for Redis, logs and the listener, never past the hard
    limit an administrator set; the forked workers inherit it.
    """
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    wanted = connections + 256
    if hard != resource.RLIM_INFINITY:
        wanted = min(wanted, hard)
    if wanted > soft:
        resource.setrlimit(resource.RLIMIT_NOFILE, (wanted, hard))
        return wanted
    return soft


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m backend.production")
    parser.add_argument("--fd", type=int, required=True, help="bound listening socket")
    parser.add_argument("--host", required=True, help="shown in the ready line")
    parser.add_argument("--port", type=int, required=True, help="shown in the ready line")
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("--connections", type=int, default=WORKER_CONNECTIONS)
    args = parser.parse_args(argv)
    raise_open_file_limit(args.connections)
    OvertServer(args.fd, args.host, args.port, args.workers, args.connections).run()


if __name__ == "__main__":
    main()
