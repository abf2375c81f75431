"""Bearer-token checks for the admin and employee APIs."""

from __future__ import annotations

from flask import request

from .core.employees import Identity, authenticate
from .errors import APIError
from .store import get_redis


def bearer() -> str | None:
    """Return the bearer token of the current request, if any."""
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    return token.strip() if scheme.lower() == "bearer" and token.strip() else None


def require_device() -> Identity:
    """Abort with 401 unless the request carries a valid device token; return its identity."""
    token = bearer()
    ident = authenticate(get_redis(), token) if token else None
    if ident is None:
        raise APIError(401, "unauthorized", "a valid device bearer token is required")
    return ident
