"""Overt's backend: a Flask app factory with blueprints by audience."""

from __future__ import annotations

import logging


def create_app(test_config: dict | None = None, redis_client=None):
    """Create the Overt app; `test_config` overrides settings (tests pass config, not patches)."""
    from flask import Flask

    from . import admin, admin_rq, errors, ingest, logs, me, observe, openapi, store
    from .core.config import MAX_FRAME_BYTES, load_settings
    from .core.db import RedisUnavailableError, connect
    from .services import Services
    from .ws_reader import reader_thread

    app = Flask(__name__)
    app.config.from_mapping(
        SOCK_SERVER_OPTIONS={"max_message_size": MAX_FRAME_BYTES, "thread_class": reader_thread},
        MAX_CONTENT_LENGTH=MAX_FRAME_BYTES,
        OVERT_START_THREADS=True,
    )
    if test_config:
        app.config.from_mapping(test_config)
    settings = app.config.get("OVERT_SETTINGS") or load_settings()
    app.config["OVERT_SETTINGS"] = settings
    if redis_client is None:
        if not settings.redis_url:
            raise RedisUnavailableError("no Redis configured: set OVERT_REDIS_URL")
        redis_client = connect(settings.redis_url)
    store.init_app(app, redis_client)
    services = Services(redis_client)
    app.extensions["overt.services"] = services
    if app.config["OVERT_START_THREADS"]:
        services.start()

    errors.init_app(app)
    app.register_blueprint(ingest.bp)
    app.register_blueprint(admin.bp)
    app.register_blueprint(me.bp)
    app.register_blueprint(openapi.bp)
    app.register_blueprint(observe.bp)
    if settings.redis_url:
        admin_rq.init_app(app, settings.redis_url)

    logging.getLogger("backend").setLevel(logging.INFO)
    logs.install()
    return app
