"""`/healthz` and `/metrics`: what load balancers and Prometheus ask this process."""

from __future__ import annotations

import redis
from flask import Blueprint, Response, current_app, jsonify

from . import metrics
from .connections import PRESENCE_TTL
from .store import get_redis

bp = Blueprint("observe", __name__)


@bp.get("/healthz")
def healthz():
    """Report Redis and this process's control listener; 503 when either is down."""
    try:
        get_redis().ping()
        redis_ok = True
    except (redis.RedisError, OSError):
        redis_ok = False
    listener = current_app.extensions["overt.services"].listener
    if listener is None:
        control = "not started"
    elif listener.is_alive() and listener.subscribed.is_set():
        control = "subscribed"
    else:
        control = "reconnecting"
    ok = redis_ok and control != "reconnecting"
    body = {"status": "ok" if ok else "degraded", "redis": redis_ok, "control_listener": control}
    return jsonify(body), 200 if ok else 503


@bp.get("/metrics")
def prometheus():
    """Serve metrics in Prometheus text format."""
    body, content_type = metrics.exposition(get_redis(), PRESENCE_TTL)
    return Response(body, content_type=content_type)
