"""Who is asking on `/admin`: a labelled admin token, or a console session opened with one.

Admin tokens are shown once and stored only as their sha256, under a unique label that the
audit log names as the actor; revoking one also ends the console sessions opened with it.
`OVERT_ADMIN_TOKEN` (or the generated one in the data dir) stays valid as the "bootstrap" token;
it is rotated by changing the setting, not revoked here.

Signing in sets an HttpOnly, SameSite=Strict cookie naming a session kept in Redis. A
state-changing request authenticated by that cookie must carry the `X-Overt-Admin` header,
which a cross-site form or image cannot send (the same pattern as me_auth.py).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import re
import secrets
import time

import redis
from flask import current_app, request
from itsdangerous import BadSignature, URLSafeTimedSerializer

from .auth import bearer
from .core import keys
from .core.employees import authenticate
from .errors import APIError
from .store import get_redis

BOOTSTRAP = "bootstrap"
TOKEN_PREFIX = "ova_"
SESSION_TTL = 8 * 3600
COOKIE = "overt_admin"
CSRF_HEADER = "X-Overt-Admin"
SAFE_METHODS = ("GET", "HEAD", "OPTIONS")
LABEL_RE = re.compile(r"[A-Za-z0-9][A-Za-z0-9._@+-]{0,63}")


class AdminTokenError(ValueError):
    """A token label is malformed, taken, or unknown."""


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def create_token(r: redis.Redis, label: str) -> str:
    """Issue a new admin token named `label`; return it (the only time it is visible)."""
    if not LABEL_RE.fullmatch(label) or label == BOOTSTRAP:
        raise AdminTokenError("a label is 1-64 letters, digits, . _ @ + - (not 'bootstrap')")
    if any(t["label"] == label for t in list_tokens(r)):
        raise AdminTokenError(f"an admin token labelled {label!r} exists; revoke it first")
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    record = {"label": label, "created_at": int(time.time() * 1000)}
    r.hset(keys.KEY_ADMIN_TOKENS, _hash(token), json.dumps(record))
    return token


def list_tokens(r: redis.Redis) -> list[dict]:
    """Return the labels and creation times of the admin tokens (never the tokens)."""
    found = [json.loads(v) for v in r.hvals(keys.KEY_ADMIN_TOKENS)]
    return sorted(found, key=lambda t: t["created_at"])


def revoke_token(r: redis.Redis, label: str) -> None:
    """Revoke the admin token named `label`."""
    for digest, raw in r.hgetall(keys.KEY_ADMIN_TOKENS).items():
        if json.loads(raw)["label"] == label:
            r.hdel(keys.KEY_ADMIN_TOKENS, digest)
            return
    raise AdminTokenError(f"no admin token labelled {label!r}")


def token_label(r: redis.Redis, token: str, bootstrap: str) -> tuple[str, str] | None:
    """Return (label, stored hash) of a valid admin token, or None."""
    if not isinstance(token, str) or len(token) > 200:
        return None
    if bootstrap and hmac.compare_digest(token.encode(), bootstrap.encode()):
        return BOOTSTRAP, BOOTSTRAP
    digest = _hash(token)
    raw = r.hget(keys.KEY_ADMIN_TOKENS, digest)
    return (json.loads(raw)["label"], digest) if raw else None


def _signer() -> URLSafeTimedSerializer:
    secret = current_app.config["OVERT_SETTINGS"].secret
    return URLSafeTimedSerializer(secret, salt="overt.admin.session")


def _bootstrap() -> str:
    return current_app.config["OVERT_SETTINGS"].admin_token


def open_session(r: redis.Redis, token: str) -> tuple[str, str] | None:
    """Check an admin token; return (signed session id for the cookie, label), or None."""
    found = token_label(r, token, _bootstrap())
    if found is None:
        return None
    label, digest = found
    session_id = secrets.token_urlsafe(18)
    record = json.dumps({"label": label, "token_hash": digest})
    r.set(keys.key(keys.KEY_ADMIN_SESSION, session=session_id), record, ex=SESSION_TTL)
    return _signer().dumps(session_id), label


def end_session(r: redis.Redis) -> None:
    """Forget the session named by this request's cookie, if any."""
    session_id = _session_id()
    if session_id:
        r.delete(keys.key(keys.KEY_ADMIN_SESSION, session=session_id))


def _session_id() -> str | None:
    cookie = request.cookies.get(COOKIE)
    if not cookie:
        return None
    try:
        return str(_signer().loads(cookie, max_age=SESSION_TTL))
    except BadSignature:
        return None


def session_label(r: redis.Redis) -> str | None:
    """Return the label behind this request's console session, if it is still valid."""
    session_id = _session_id()
    raw = r.get(keys.key(keys.KEY_ADMIN_SESSION, session=session_id)) if session_id else None
    if raw is None:
        return None
    rec = json.loads(raw)
    # A revoked token ends its sessions: the token must still be stored.
    if rec["token_hash"] != BOOTSTRAP and not r.hexists(keys.KEY_ADMIN_TOKENS, rec["token_hash"]):
        return None
    return rec["label"]


def require_admin(csrf: bool = True) -> str:
    """Abort with 401/403 unless an admin token or console session names the caller.

    Return the label the audit log records as the actor. A device token is refused with 403;
    a cookie session changing state without the CSRF header is refused with 403.
    """
    r = get_redis()
    token = bearer()
    if token is not None:
        found = token_label(r, token, _bootstrap())
        if found:
            return found[0]
        if authenticate(r, token) is not None:
            raise APIError(403, "forbidden", "an employee's device token cannot use the admin API")
        raise APIError(401, "unauthorized", "a valid admin bearer token is required")
    label = session_label(r)
    if label is None:
        raise APIError(401, "unauthorized", "sign in with an admin token")
    if csrf:
        check_csrf()
    return label


def check_csrf() -> None:
    """Refuse a state-changing request without the CSRF header."""
    if request.method not in SAFE_METHODS and request.headers.get(CSRF_HEADER) != "1":
        hint = f"a change made from the console needs the {CSRF_HEADER} header"
        raise APIError(403, "csrf", hint)
