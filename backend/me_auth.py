"""Who is asking on `/me`: a device token, or a browser session opened from a one-time link.

The extension popup trades its device token for a signed link that works once and for two
minutes (`POST /me/api/session`). Opening it sets an HttpOnly, SameSite=Strict cookie naming a
session kept in Redis for half an hour, and redirects to `/me` so the link leaves the address
bar. Every request re-checks that the device token behind the session is still valid, so
revoking a device also ends its sessions. A state-changing request authenticated by the cookie
must carry the `X-Overt-Me` header, which a cross-site form or image cannot send.
"""

from __future__ import annotations

import json
import secrets

import redis
from flask import current_app, request
from itsdangerous import BadSignature, URLSafeTimedSerializer

from .auth import bearer, require_device
from .core import keys
from .core.employees import Identity, token_hash
from .errors import APIError
from .store import get_redis

LINK_TTL = 120
SESSION_TTL = 1800
COOKIE = "overt_me"
CSRF_HEADER = "X-Overt-Me"
SAFE_METHODS = ("GET", "HEAD", "OPTIONS")


def _signer(purpose: str) -> URLSafeTimedSerializer:
    secret = current_app.config["OVERT_SETTINGS"].secret
    return URLSafeTimedSerializer(secret, salt=f"overt.me.{purpose}")


def _record(ident: Identity, token: str) -> str:
    return json.dumps(
        {
            "employee": ident.employee,
            "team": ident.team,
            "device": ident.device,
            "token_hash": token_hash(token),
        }
    )


def issue_link(r: redis.Redis, ident: Identity, token: str) -> str:
    """Return a signed one-time link token standing for `ident`, valid for LINK_TTL seconds."""
    link_id = secrets.token_urlsafe(18)
    r.set(keys.key(keys.KEY_ME_LINK, link=link_id), _record(ident, token), ex=LINK_TTL)
    return _signer("link").dumps(link_id)


def open_link(r: redis.Redis, signed: str) -> str | None:
    """Spend a link token; return the signed session id for the cookie, or None if not valid."""
    try:
        link_id = _signer("link").loads(signed, max_age=LINK_TTL)
    except BadSignature:  # also raised (as SignatureExpired) when too old
        return None
    raw = r.getdel(keys.key(keys.KEY_ME_LINK, link=str(link_id)))  # once only
    if raw is None:
        return None
    session_id = secrets.token_urlsafe(18)
    r.set(keys.key(keys.KEY_ME_SESSION, session=session_id), raw, ex=SESSION_TTL)
    return _signer("session").dumps(session_id)


def end_session(r: redis.Redis) -> None:
    """Forget the caller's page session: 401 without one, 403 without the CSRF header.

    Authentication comes first, as on every other route: a request with no session at all is
    unauthenticated, not a forgery.
    """
    require_me()
    session_id = _session_id()
    if session_id:
        r.delete(keys.key(keys.KEY_ME_SESSION, session=session_id))


def _session_id() -> str | None:
    cookie = request.cookies.get(COOKIE)
    if not cookie:
        return None
    try:
        return str(_signer("session").loads(cookie, max_age=SESSION_TTL))
    except BadSignature:
        return None


def require_me() -> Identity:
    """Abort with 401 unless a device token or a live /me session names the caller."""
    if bearer():
        return require_device()
    r = get_redis()
    session_id = _session_id()
    raw = r.get(keys.key(keys.KEY_ME_SESSION, session=session_id)) if session_id else None
    rec = json.loads(raw) if raw else None
    if rec is None or not r.hexists(keys.KEY_TOKENS, rec["token_hash"]):
        hint = "open this page from the Overt extension, or send a device bearer token"
        raise APIError(401, "unauthorized", hint)
    if request.method not in SAFE_METHODS:
        require_csrf_header()
    return Identity(rec["employee"], rec["team"], rec["device"])


def require_csrf_header() -> None:
    """Abort with 403 unless the request carries the header a cross-site form cannot send."""
    if request.headers.get(CSRF_HEADER) != "1":
        raise APIError(403, "csrf", f"a change made from the page needs the {CSRF_HEADER} header")
