"""gunicorn settings for Overt: `gunicorn -c python:backend.gunicorn_conf 'backend:create_app()'`.

Only what the app needs from the server; workers, binding and timeouts stay on the command line
(docs/operations.md).
"""

from gunicorn import util

from backend.metrics_dir import child_exit, on_exit, on_starting  # noqa: F401 (gunicorn hooks)
from backend.servers import gunicorn_write_error

# gunicorn's largest request line; longer ones get a 414 in the one JSON error shape.
limit_request_line = 8190

# gunicorn writes its own HTML for requests it refuses before the app runs (414, 400, 431);
# workers call util.write_error at that moment, so replacing it here answers JSON instead.
util.write_error = gunicorn_write_error
