"""rq-dashboard under `/admin/rq`, behind the console's admin sign-in.

rq-dashboard is a Flask blueprint without authentication of its own; every request to it
passes `require_admin` first (console cookie or bearer token). Its own buttons (requeue,
delete, empty) post with jQuery, which cannot add the console's CSRF header, so a
state-changing request there must instead come from this origin (`Origin` header check).
"""

from __future__ import annotations

from urllib.parse import urlparse

import rq_dashboard
from flask import Flask, request
from rq.serializers import JSONSerializer
from rq_dashboard import web

from .admin_auth import SAFE_METHODS, require_admin
from .auth import bearer
from .errors import APIError

URL_PREFIX = "/admin/rq"


def init_app(app: Flask, redis_url: str) -> None:
    """Mount rq-dashboard on `app`, reading Overt's queue on `redis_url`."""
    web.config.serializer = JSONSerializer  # Overt's jobs are JSON-serialised (workers/queue.py)
    app.config.setdefault("RQ_DASHBOARD_REDIS_URL", redis_url)
    app.config.setdefault("RQ_DASHBOARD_POLL_INTERVAL", 2500)
    web.setup_rq_connection(app)
    bp = rq_dashboard.blueprint
    if not getattr(bp, "_overt_guarded", False):  # one blueprint object for every app in a process
        bp.before_request(_guard)
        bp._overt_guarded = True
    app.register_blueprint(bp, url_prefix=URL_PREFIX)


# rq-dashboard's "requeue all" also answers GET; it changes state all the same.
CHANGES_ON_GET = {"rq_dashboard.requeue_all"}


def _guard() -> None:
    # The Origin check stands in for the CSRF header rq-dashboard's pages cannot send; a
    # bearer token (a script) is not sent by browsers on their own, so it needs none.
    require_admin(csrf=False)
    changing = request.method not in SAFE_METHODS or request.endpoint in CHANGES_ON_GET
    if changing and bearer() is None:
        origin = urlparse(request.headers.get("Origin") or "")
        if f"{origin.scheme}://{origin.netloc}" != request.host_url.rstrip("/"):
            raise APIError(403, "csrf", "queue changes must come from this console's pages")
