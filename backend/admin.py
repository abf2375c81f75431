"""`/admin`: the admin console and API (bearer admin token)."""

from __future__ import annotations

from flask import Blueprint, current_app, jsonify, render_template, request

from .auth import require_admin
from .core import employees, pauses
from .core.audit import audit, read_audit
from .core.erase import erase_employee
from .core.policy import get_policy
from .core.purge import purge_scope
from .errors import APIError, json_body
from .policy_change import change_policy
from .revocation import revoke_employee
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
    r = get_redis()
    record, created = pauses.pause(r, req["scope"], req["reason"], req["purge"], actor)
    purged = 0
    if created and req["purge"]:
        purged = purge_scope(r, req["scope"])
    audit(r, actor, "pause", pause_id=record["pause_id"], scope=record["scope"], purged=purged)
    return jsonify({**record, "created": created, "purged": purged}), 201 if created else 200


@bp.post("/api/resume")
def resume():
    actor = require_admin()
    req = ResumeRequestSchema().load(json_body())
    r = get_redis()
    try:
        record = pauses.resume(r, req.get("pause_id"), req.get("scope"))
    except pauses.PauseNotFoundError as err:
        raise APIError(404, "pause_not_found", str(err)) from None
    audit(r, actor, "resume", pause_id=record["pause_id"], scope=record["scope"])
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
    r = get_redis()
    token, ident = employees.enroll(r, req["employee"], req["team"])
    audit(r, actor, "enroll", employee=ident.employee, team=ident.team, device=ident.device)
    return jsonify(
        {"employee": ident.employee, "team": ident.team, "device": ident.device, "token": token}
    ), 201


@bp.post("/api/employees/<employee>/revoke")
def revoke(employee: str):
    actor = require_admin()
    r = get_redis()
    count = revoke_employee(r, employee)
    audit(r, actor, "revoke", employee=employee, tokens=count)
    return jsonify({"employee": employee, "revoked": count})


@bp.delete("/api/employees/<employee>/data")
def erase_employee_data(employee: str):
    """Erase an employee's data everywhere, sealed batches included (audited: ids and counts)."""
    actor = require_admin()
    r = get_redis()
    if employees.team_of(r, employee) is None:
        raise APIError(404, "employee_not_found", f"no enrolled employee {employee}")
    settings = current_app.config["OVERT_SETTINGS"]
    receipt = erase_employee(r, settings.datasets_dir, settings.secret, employee)
    audit(
        r,
        actor,
        "erase",
        employee=employee,
        receipt_id=receipt["receipt_id"],
        shards=len(receipt["shards"]),
        removed=receipt["removed_total"],
    )
    return jsonify({"employee": employee, **receipt})


@bp.get("/api/audit")
def read_audit_log():
    require_admin()
    limit = request.args.get("limit", "200")
    # ASCII digits only: str.isdigit() also accepts "²", which int() refuses.
    if not (len(limit) <= 5 and limit.isascii() and limit.isdigit() and 0 < int(limit) <= 10000):
        raise APIError(400, "bad_limit", "limit must be a whole number from 1 to 10000")
    return jsonify({"entries": read_audit(get_redis(), int(limit))})
