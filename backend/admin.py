"""`/admin`: the admin console and API (bearer admin token)."""

from __future__ import annotations

from flask import Blueprint, jsonify, render_template, request

from workers.queue import enqueue_erasure

from .auth import require_admin
from .core import actions, employees, pauses
from .core.audit import read_audit
from .core.policy import get_policy
from .errors import APIError, json_body
from .policy_change import change_policy
from .schemas import EnrollSchema, PauseRequestSchema, ResumeRequestSchema
from .status import status
from .store import get_redis

bp = Blueprint("admin", __name__, url_prefix="/admin")


@bp.get("")
def console():
    """Serve the admin console page (it asks for the admin token and calls the API)."""
    return render_template("admin.html")


@bp.post("/api/pause")
def pause():
    actor = require_admin()
    req = PauseRequestSchema().load(json_body())
    record, created, purged = actions.pause(
        get_redis(), actor, req["scope"], req["reason"], req["purge"]
    )
    return jsonify({**record, "created": created, "purged": purged}), 201 if created else 200


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
    token, ident = actions.enroll(get_redis(), actor, req["employee"], req["team"])
    return jsonify(
        {"employee": ident.employee, "team": ident.team, "device": ident.device, "token": token}
    ), 201


@bp.post("/api/employees/<employee>/revoke")
def revoke(employee: str):
    actor = require_admin()
    count = actions.revoke(get_redis(), actor, employee)
    return jsonify({"employee": employee, "revoked": count})


@bp.delete("/api/employees/<employee>/data")
def erase_employee_data(employee: str):
    """Erase an employee's data everywhere, sealed batches included (by a job; audited then)."""
    actor = require_admin()
    r = get_redis()
    if employees.team_of(r, employee) is None:
        raise APIError(404, "employee_not_found", f"no enrolled employee {employee}")
    receipt = actions.erase(r, employee, lambda e, rid: enqueue_erasure(r, e, rid, actor))
    return jsonify({"employee": employee, **receipt}), 202


@bp.get("/api/audit")
def read_audit_log():
    require_admin()
    limit = request.args.get("limit", "200")
    # ASCII digits only: str.isdigit() also accepts "²", which int() refuses.
    if not (len(limit) <= 5 and limit.isascii() and limit.isdigit() and 0 < int(limit) <= 10000):
        raise APIError(400, "bad_limit", "limit must be a whole number from 1 to 10000")
    return jsonify({"entries": read_audit(get_redis(), int(limit))})
