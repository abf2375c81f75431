"""gunicorn settings for Overt: `gunicorn -c python:backend.gunicorn_conf 'backend:create_app()'`.

Only what the app needs from the server; workers, binding and timeouts stay on the command line
(docs/operations.md). gunicorn's master imports this file before forking, and each gevent worker
monkey-patches only after the fork: so nothing here imports Flask, redis or ssl at load time
(gevent warns, and may misbehave, when ssl was imported before its patching). The JSON error
answers are installed in each worker instead, by `post_worker_init`.
"""

from backend.metrics_dir import child_exit, on_exit, on_starting  # noqa: F401 (gunicorn hooks)

# gunicorn's largest request line; longer ones get a 414 in the one JSON error shape.
limit_request_line = 8190


def install_json_errors() -> None:
    """Answer what gunicorn refuses before the app runs (414, 400, 431) in the JSON shape.

    Workers call `gunicorn.util.write_error` at that moment, so replacing it answers JSON instead
    of gunicorn's HTML page. Called in each worker, after gevent's patching.
    """
    from gunicorn import util

    from backend.servers import gunicorn_write_error

    util.write_error = gunicorn_write_error


def post_worker_init(worker) -> None:
    """gunicorn's hook, in each worker once the app is loaded."""
    install_json_errors()
