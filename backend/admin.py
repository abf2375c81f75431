"""`/admin`: the admin console and API (bearer admin token)."""

from __future__ import annotations

from flask import Blueprint, Response, current_app, jsonify, render_template, request

from workers.queue import enqueue_erasure

from . import admin_auth
from .admin_auth import require_admin
from .admin_rq import URL_PREFIX
from .console import live_view
from .core import actions, employees, pauses
from .core import audit as audit_log
from .core.audit import audit
from .core.policy import get_policy
from .errors import APIError, json_body
from .policy_change import change_policy
from .schemas import (
    CATEGORIES,
    EnrollSchema,
    EraseRequestSchema,
    PauseRequestSchema,
    ResumeRequestSchema,
)
from .status import status
from .store import get_redis

bp = Blueprint("admin", __name__, url_prefix="/admin")


@bp.get("")
def console():
    """Serve the admin console page (it signs in with an admin token, then polls the API)."""
    return render_template(
        "admin.html",
        csrf_header=admin_auth.CSRF_HEADER,
        categories=CATEGORIES,
        rq_url=URL_PREFIX + "/",
    )


@bp.after_request
def _private(response: Response) -> Response:
    # Console data is for the signed-in admin only: never cached, never leaked via a Referer.
    response.headers["Cache-Control"] = "no-store"
    response.headers["Referrer-Policy"] = "no-referrer"
    # The console loads only its own script and style, and is never framed (clickjacking).
    response.headers["Content-Security-Policy"] = "default-src 'self'; frame-ancestors 'none'"
    response.headers["X-Frame-Options"] = "DENY"
    return response


@bp.post("/api/session")
def sign_in():
    """Trade an admin token for a console session cookie (HttpOnly, SameSite=Strict)."""
    admin_auth.check_csrf()
    token = json_body().get("token")
    r = get_redis()
    opened = admin_auth.open_session(r, token) if isinstance(token, str) else None
    if opened is None and isinstance(token, str) and employees.authenticate(r, token):
        raise APIError(403, "forbidden", "an employee's device token cannot open the console")
    if opened is None:
        raise APIError(401, "unauthorized", "that is not a valid admin token")
    cookie, label = opened
    response = jsonify({"label": label})
    response.set_cookie(
        admin_auth.COOKIE,
        cookie,
        max_age=admin_auth.SESSION_TTL,
        httponly=True,
        samesite="Strict",
        secure=request.is_secure,
        path="/admin",
    )
    return response


@bp.get("/api/session")
def who_am_i():
    """Return the label the caller is signed in as (401 when not signed in)."""
    return jsonify({"label": require_admin()})


@bp.delete("/api/session")
def sign_out():
    """End the console session."""
    require_admin()
    admin_auth.end_session(get_redis())
    response = jsonify({"signed_out": True})
    response.delete_cookie(admin_auth.COOKIE, path="/admin")
    return response


@bp.get("/api/live")
def live():
    """Return what the console shows live (polled every second or two)."""
    require_admin()
    return jsonify(live_view(get_redis()))


@bp.get("/api/tokens")
def list_admin_tokens():
    require_admin()
    tokens = admin_auth.list_tokens(get_redis())
    return jsonify({"tokens": [{"label": admin_auth.BOOTSTRAP, "created_at": None}, *tokens]})


@bp.post("/api/tokens")
def create_admin_token():
    """Issue a labelled admin token; the answer is the only time it is shown."""
    actor = require_admin()
    label = json_body().get("label")
    r = get_redis()
    try:
        token = admin_auth.create_token(r, label if isinstance(label, str) else "")
    except admin_auth.AdminTokenError as err:
        raise APIError(422, "invalid_label", str(err)) from None
    audit(r, actor, "admin_token_create", label=label)
    return jsonify({"label": label, "token": token}), 201


@bp.delete("/api/tokens/<label>")
def revoke_admin_token(label: str):
    actor = require_admin()
    r = get_redis()
    try:
        admin_auth.revoke_token(r, label)
    except admin_auth.AdminTokenError as err:
        raise APIError(404, "token_not_found", str(err)) from None
    audit(r, actor, "admin_token_revoke", label=label)
    return jsonify({"label": label, "revoked": True})


@bp.post("/api/pause")
def pause():
    actor = require_admin()
    req = PauseRequestSchema().load(json_body())
    r = get_redis()
    record, created, purged = actions.pause(r, actor, req["scope"], req["reason"], req["purge"])
    answer = {**record, "created": created, "purged": purged}
    answer["warnings"] = actions.pause_warnings(r, record["scope"])
    return jsonify(answer), 201 if created else 200


@bp.post("/api/resume")
def resume():
    actor = require_admin()
    req = ResumeRequestSchema().load(json_body())
    try:
        record = actions.resume(get_redis(), actor, req.get("pause_id"), req.get("scope"))
    except pauses.PauseNotFoundError as err:
        raise APIError(404, "pause_not_found", str(err)) from None
    return jsonify(record)


@bp.get("/api/pauses/<pause_id>")
def pause_detail(pause_id: str):
    require_admin()
    r = get_redis()
    record = pauses.get_pause(r, pause_id)
    if record is None:
        raise APIError(404, "pause_not_found", f"no pause {pause_id}")
    return jsonify({**record, "applied": pauses.acks(r, pause_id)})


@bp.get("/api/status")
def get_status():
    require_admin()
    return jsonify(status(get_redis()))


@bp.get("/api/policy")
def read_policy():
    require_admin()
    return jsonify(get_policy(get_redis()))


@bp.put("/api/policy")
def write_policy():
    actor = require_admin()
    return jsonify(change_policy(get_redis(), json_body(), actor))


@bp.post("/api/employees")
def enroll():
    actor = require_admin()
    req = EnrollSchema().load(json_body())
    token, ident = actions.enroll(get_redis(), actor, req["employee"], req.get("team"))
    return jsonify(
        {"employee": ident.employee, "team": ident.team, "device": ident.device, "token": token}
    ), 201


@bp.post("/api/employees/<employee>/revoke")
def revoke(employee: str):
    actor = require_admin()
    r = get_redis()
    if employees.team_of(r, employee) is None:
        raise APIError(404, "employee_not_found", f"no enrolled employee {employee}")
    count = actions.revoke(r, actor, employee)
    return jsonify({"employee": employee, "revoked": count})


@bp.post("/api/devices/<device>/revoke")
def revoke_one_device(device: str):
    """Revoke one device's token; the employee's other devices keep working."""
    actor = require_admin()
    employee = actions.revoke_device(get_redis(), actor, device)
    if employee is None:
        raise APIError(404, "device_not_found", f"no device {device} holds a token")
    return jsonify({"employee": employee, "device": device, "revoked": 1})


@bp.delete("/api/employees/<employee>/data")
def erase_employee_data(employee: str):
    """Erase an employee's data everywhere, sealed batches included (by a job; audited then)."""
    actor = require_admin()
    # No body is no reason: a 422 naming `reason`, as `{}` gets (docs/protocol.md).
    reason = EraseRequestSchema().load(json_body(empty_is_object=True))["reason"].strip()
    r = get_redis()
    if employees.team_of(r, employee) is None:
        raise APIError(404, "employee_not_found", f"no enrolled employee {employee}")
    receipt = actions.erase(r, employee, lambda e, rid: enqueue_erasure(r, e, rid, actor, reason))
    return jsonify({"employee": employee, **receipt}), 202


@bp.get("/api/audit")
def read_audit_log():
    """Page through the audit log, newest first: `?limit=` (1-500) and `?before=` (a cursor)."""
    require_admin()
    limit = _whole(request.args.get("limit", "100"), "limit", 1, audit_log.MAX_PAGE)
    before = request.args.get("before")
    cursor = None if before is None else _whole(before, "before", 1, 2**53)
    try:
        return jsonify(audit_log.page(get_redis(), cursor, limit, _audit_archive()))
    except audit_log.AuditArchiveError as err:  # was a 500 internal_error from json
        raise APIError(500, "audit_archive_damaged", str(err)) from None


@bp.get("/api/audit/verify")
def verify_audit_log():
    """Recompute the audit chain; `ok` false names the first broken entry."""
    require_admin()
    verdict = audit_log.verify(get_redis(), _audit_archive())
    return jsonify(
        {"ok": verdict.ok, "checked": verdict.checked, "broken_at": verdict.broken_at}
        | {"problem": verdict.problem}
    )


def _audit_archive():
    return audit_log.archive_path(current_app.config["OVERT_SETTINGS"].data_dir)


def _whole(raw: str, name: str, low: int, high: int) -> int:
    # ASCII digits only: str.isdigit() also accepts "²", which int() refuses.
    if not (len(raw) <= 16 and raw.isascii() and raw.isdigit()) or not low <= int(raw) <= high:
        raise APIError(400, f"bad_{name}", f"{name} must be a whole number from {low} to {high}")
    return int(raw)
