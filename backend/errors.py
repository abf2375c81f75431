"""One error shape everywhere: {"code", "status", "message", "errors"}."""

from __future__ import annotations

import json
import logging

import redis
from flask import Flask, jsonify, request
from marshmallow import ValidationError
from werkzeug.exceptions import HTTPException
from werkzeug.http import HTTP_STATUS_CODES
from werkzeug.routing import WebsocketMismatch

from .core.datasets import DatasetsUnavailableError
from .core.db import RedisUnavailableError
from .core.frames import BadInputError, find_bad_string, parse_json

log = logging.getLogger(__name__)

# A body refused as too large is read and dropped up to this size, so that the client, which
# sends all of it before reading, gets the 413 (`drain_body`).
DRAIN_LIMIT = 32 * 1024 * 1024
DRAIN_CHUNK = 64 * 1024


class APIError(Exception):
    """An error answered to the client as JSON with a typed code."""

    def __init__(self, status: int, code: str, message: str, errors: dict | None = None):
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.errors = errors or {}


def json_body(empty_is_object: bool = False) -> dict:
    """Return the JSON object body of the current request, or fail with a typed 400.

    With `empty_is_object`, a request with no body at all reads as `{}`, so that its schema
    names the fields missing (a DELETE is often sent without a body) instead of a `bad_json`.
    """
    raw = request.get_data(cache=True)
    if empty_is_object and not raw.strip():
        return {}
    try:
        data = parse_json(raw)
    except BadInputError as err:
        raise APIError(400, err.code, err.message) from None
    if not isinstance(data, dict):
        raise APIError(400, "bad_json", "the body must be a JSON object")
    bad = find_bad_string(data)
    if bad:
        raise APIError(400, "bad_string", f"a string at {bad} is not valid Unicode")
    return data


def error_body(status: int, code: str, message: str, errors: dict | None = None) -> dict:
    """Return the one error shape."""
    return {"code": code, "status": status, "message": message, "errors": errors or {}}


def _respond(status, code, message, errors=None):
    return jsonify(error_body(status, code, message, errors)), status


def init_app(app: Flask) -> None:
    """Register handlers that turn every failure into the one error shape."""

    @app.errorhandler(APIError)
    def _api(err: APIError):
        return _respond(err.status, err.code, err.message, err.errors)

    @app.errorhandler(ValidationError)
    def _validation(err: ValidationError):
        return _respond(422, "invalid_request", "the request body is not valid", err.messages)

    @app.errorhandler(WebsocketMismatch)
    def _websocket_mismatch(err: WebsocketMismatch):
        # werkzeug's text for it is a generic 400 ("the browser sent a request that this server
        # could not understand"): say which side of the mismatch the request was on.
        return _respond(400, "bad_request", websocket_mismatch_message())

    @app.errorhandler(HTTPException)
    def _http(err: HTTPException):
        if err.code == 413:
            drain_body()
        code = (err.name or "error").lower().replace(" ", "_")
        body, status = _respond(err.code or 500, code, err.description or err.name)
        # werkzeug's own headers of the error (a 405's Allow, a 401's WWW-Authenticate), not
        # its HTML content type.
        for name, value in err.get_headers():
            if name.lower() != "content-type":
                body.headers[name] = value
        return body, status

    @app.errorhandler(DatasetsUnavailableError)
    def _datasets_down(err: DatasetsUnavailableError):
        log.warning("datasets unavailable: %s", err)  # a batch id and a location, no content
        return _respond(
            503,
            "datasets_unavailable",
            "the sealed datasets could not be read; try again, or tell the administrator",
        )

    @app.errorhandler(RedisUnavailableError)
    def _redis_down(err):
        return _respond(503, "redis_unavailable", "the data store is unavailable; try again")

    @app.errorhandler(Exception)
    def _unexpected(err: Exception):
        if isinstance(err, RecursionError):  # hostile nesting that got past parse_json
            return _respond(400, "too_deep", "the input is nested too deeply")
        if isinstance(err, OSError) and err.filename is not None:
            # A file the server keeps (an audit archive, a datasets folder), not the data store.
            log.warning("request failed on a file: %s errno %s", type(err).__name__, err.errno)
            return _respond(
                503,
                "storage_unavailable",
                "a file the server keeps could not be read or written; tell the administrator",
            )
        if isinstance(err, redis.RedisError | OSError):
            log.warning("request failed on Redis: %s", type(err).__name__)
            return _respond(503, "redis_unavailable", "the data store is unavailable; try again")
        log.exception("unexpected error")
        return _respond(500, "internal_error", "an unexpected error occurred")


def drain_body(limit: int = DRAIN_LIMIT) -> None:
    """Read and drop the unread body of a request refused as too large, up to `limit` bytes.

    A client sends its whole body before it reads the answer; gunicorn closes the connection
    with the body unread, and the kernel then resets it, so the client saw "connection reset"
    instead of the 413. A body over `limit` is not read: the reset is cheaper than the bytes.
    """
    length = request.content_length
    if not length or length > limit:
        return
    stream = request.environ.get("wsgi.input")
    if stream is None:
        return
    try:
        while length > 0:
            chunk = stream.read(min(length, DRAIN_CHUNK))
            if not chunk:
                break
            length -= len(chunk)
    except (OSError, ValueError):  # the client went away: nothing left to answer
        pass


def websocket_mismatch_message() -> str:
    """Return why the current request's route refused it: it needs, or does not take, WebSocket."""
    if request.headers.get("Upgrade", "").lower() == "websocket":
        return f"{request.path} does not take a WebSocket connection"
    return f"{request.path} needs a WebSocket upgrade (Upgrade: websocket)"


def server_error_json(status: int) -> bytes:
    """Return the error shape for an error an HTTP server answers before Flask sees a request."""
    name = HTTP_STATUS_CODES.get(status, "Error")
    code = name.lower().replace(" ", "_").replace("-", "_")
    return json.dumps(error_body(status, code, name)).encode()
