"""`/me`: an employee's own consent and data (device token, or a session opened from the popup).

Every route acts on the caller's own identity only; nothing here takes an employee from the
URL or the body, and a query naming someone else is refused (403).
"""

from __future__ import annotations

import json
from datetime import UTC, tzinfo
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from flask import Blueprint, Response, current_app, jsonify, redirect, render_template, request

from workers.queue import enqueue_erasure

from .auth import bearer, require_device
from .core import actions, consent
from .core.actions import EMPLOYEE_ACTOR
from .core.clock import day, now_ms
from .core.employees import Identity, team_of
from .core.erase import find_receipt, receipts
from .core.export import collected, export
from .core.policy import get_policy
from .errors import APIError, json_body
from .me_auth import COOKIE, CSRF_HEADER, LINK_TTL, SESSION_TTL, issue_link, open_link, require_me
from .me_auth import end_session as forget_session
from .schemas import ConsentSchema
from .store import get_redis

bp = Blueprint("me", __name__, url_prefix="/me")


def _settings():
    return current_app.config["OVERT_SETTINGS"]


def me() -> Identity:
    """Return the caller's identity; refuse a request that names another employee."""
    ident = require_me()
    named = request.args.get("employee")
    if named is not None and named != ident.employee:
        raise APIError(403, "forbidden", "you can only see and change your own data")
    return ident


@bp.after_request
def _private(response: Response) -> Response:
    # Personal data and one-time links: never cached, never leaked through a Referer.
    response.headers["Cache-Control"] = "no-store"
    response.headers["Referrer-Policy"] = "no-referrer"
    return response


@bp.get("")
def page():
    """Serve the "my data" page; a `?session=` link from the popup signs the browser in first."""
    signed = request.args.get("session")
    if signed is None:
        return _page()
    cookie = open_link(get_redis(), signed)
    if cookie is None:
        return _page(expired=True), 401
    response = redirect(request.base_url, code=303)  # take the one-time link off the screen
    response.set_cookie(
        COOKIE,
        cookie,
        max_age=SESSION_TTL,
        httponly=True,
        samesite="Strict",
        secure=request.is_secure,
        path="/me",
    )
    return response


def _page(expired: bool = False):
    html = render_template("me.html", expired=expired, csrf_header=CSRF_HEADER)
    response = Response(html, mimetype="text/html")
    response.headers["Content-Security-Policy"] = (
        "default-src 'self'; script-src 'self'; style-src 'self'; frame-ancestors 'none'"
    )
    return response


@bp.post("/api/session")
def new_session():
    """Trade the device token for a one-time, short-lived link to /me (the popup opens it)."""
    ident = require_device()  # a page session must not mint further links
    signed = issue_link(get_redis(), ident, bearer())
    return jsonify({"url": f"{request.host_url}me?session={signed}", "expires_in": LINK_TTL})


@bp.delete("/api/session")
def end_session():
    """Sign this browser out of /me."""
    forget_session(get_redis())
    response = jsonify({"signed_out": True})
    response.delete_cookie(COOKIE, path="/me")
    return response


@bp.get("/api/consent")
def get_consent():
    ident = me()
    r = get_redis()
    return jsonify({"categories": consent.get_consent(r, ident.employee), "policy": get_policy(r)})


@bp.put("/api/consent")
def put_consent():
    ident = me()
    req = ConsentSchema().load(json_body())
    r = get_redis()
    try:
        categories, withdrawn, purged = actions.change_consent(
            r, ident, req["categories"], get_policy(r), req["confirm"]
        )
    except consent.ConsentError as err:
        status = 409 if err.code == "confirmation_required" else 422
        raise APIError(status, err.code, str(err), err.errors) from None
    return jsonify({"categories": categories, "withdrawn": sorted(withdrawn), "purged": purged})


def viewer_zone(name: str | None) -> tuple[str, tzinfo]:
    """Return the viewer's IANA time zone (as the page sends it), or UTC when unknown."""
    if name and len(name) <= 64:
        try:
            return name, ZoneInfo(name)
        except (ZoneInfoNotFoundError, ValueError):
            pass
    return "UTC", UTC


@bp.get("/api/overview")
def overview():
    """Return what the page shows: consent, policy, ledger, counts, latest records, batches."""
    ident = me()
    r = get_redis()
    settings = _settings()
    zone_name, zone = viewer_zone(request.args.get("tz"))
    return jsonify(
        {
            "timezone": zone_name,
            "employee": ident.employee,
            "team": team_of(r, ident.employee) or ident.team,
            "device": ident.device,
            "signals": consent.privacy_signals(r, ident.device),
            "policy": get_policy(r),
            "consent": {"categories": consent.get_consent(r, ident.employee)},
            "ledger": consent.ledger(r, ident.employee),
            **collected(r, settings.datasets_location, settings.secret, ident.employee, zone),
            "receipts": receipts(r, ident.employee),
        }
    )


@bp.get("/api/data")
def export_data():
    """Download everything held about me as one JSON file."""
    ident = me()
    settings = _settings()
    doc = export(get_redis(), settings.datasets_location, settings.secret, ident.employee)
    today = day(now_ms())
    response = Response(json.dumps(doc, indent=2), mimetype="application/json")
    response.headers["Content-Disposition"] = (
        f'attachment; filename="overt-export-{ident.employee}-{today}.json"'
    )
    return response


@bp.delete("/api/data")
def erase_data():
    """Erase everything held about me, sealed batches included; answer 202 with the receipt.

    Unsealed events are gone at once; a job rewrites the sealed shards, and the receipt
    (`GET /me/api/receipts/<id>`) says when it completed.
    """
    ident = me()
    r = get_redis()
    receipt = actions.erase(
        r, ident.employee, lambda e, rid: enqueue_erasure(r, e, rid, EMPLOYEE_ACTOR)
    )
    return jsonify(receipt), 202


@bp.get("/api/receipts")
def list_receipts():
    """Return my erasure receipts, oldest first."""
    return jsonify({"receipts": receipts(get_redis(), me().employee)})


@bp.get("/api/receipts/<receipt_id>")
def receipt_detail(receipt_id: str):
    """Return one of my erasure receipts with its status (404 for anyone else's)."""
    receipt = find_receipt(get_redis(), me().employee, receipt_id)
    if receipt is None:
        raise APIError(404, "receipt_not_found", "no such receipt of yours")
    return jsonify(receipt)
