"""`GET /openapi.json`: the admin and employee HTTP APIs, generated from the marshmallow schemas.

Request bodies come from backend/schemas.py through apispec's marshmallow plugin, so the
description cannot drift from what the routes load; the table below lists each route once.
"""

from __future__ import annotations

from functools import cache

from apispec import APISpec
from apispec.ext.marshmallow import MarshmallowPlugin
from flask import Blueprint, jsonify
from marshmallow import Schema, fields

from .core.audit import MAX_PAGE
from .schemas import (
    AdminSignInSchema,
    AdminTokenRequestSchema,
    ConsentSchema,
    EnrollSchema,
    EraseRequestSchema,
    PauseRequestSchema,
    PolicySchema,
    ResumeRequestSchema,
)

bp = Blueprint("openapi", __name__)


class ErrorSchema(Schema):
    """The one error shape (backend/errors.py)."""

    code = fields.String(required=True)
    status = fields.Integer(required=True)
    message = fields.String(required=True)
    errors = fields.Dict(required=True)


# (path, method, audience, request body schema, summary)
OPERATIONS: list[tuple[str, str, str, type[Schema] | None, str]] = [
    ("/admin/api/pause", "post", "admin", PauseRequestSchema, "Pause capture for a scope"),
    ("/admin/api/resume", "post", "admin", ResumeRequestSchema, "End a pause"),
    ("/admin/api/pauses/{pause_id}", "get", "admin", None, "A pause and its acknowledgements"),
    ("/admin/api/status", "get", "admin", None, "Pauses, clients, queue, workers, batches"),
    ("/admin/api/policy", "get", "admin", None, "The capture policy"),
    ("/admin/api/policy", "put", "admin", PolicySchema, "Replace the capture policy"),
    ("/admin/api/employees", "post", "admin", EnrollSchema, "Enroll an employee's device"),
    ("/admin/api/employees/{employee}/revoke", "post", "admin", None, "Revoke their devices"),
    ("/admin/api/devices/{device}/revoke", "post", "admin", None, "Revoke one device's token"),
    ("/admin/api/employees/{employee}/data", "delete", "admin", EraseRequestSchema, "Erase data"),
    ("/admin/api/audit", "get", "admin", None, "The audit log, newest first"),
    ("/admin/api/audit/verify", "get", "admin", None, "Recompute the audit log's hash chain"),
    ("/admin/api/live", "get", "admin", None, "What the console shows"),
    ("/admin/api/tokens", "get", "admin", None, "Labelled admin tokens (labels only)"),
    ("/admin/api/tokens", "post", "admin", AdminTokenRequestSchema, "Issue an admin token"),
    ("/admin/api/tokens/{label}", "delete", "admin", None, "Revoke an admin token"),
    ("/admin/api/session", "post", "admin", AdminSignInSchema, "Console sign-in (cookie)"),
    ("/admin/api/session", "get", "admin", None, "Who is signed in to the console"),
    ("/admin/api/session", "delete", "admin", None, "Sign the console out"),
    ("/me/api/session", "post", "device", None, "A one-time link to the /me page"),
    ("/me/api/session", "delete", "device", None, "Sign this browser out of /me"),
    ("/me/api/consent", "get", "device", None, "My consent and the policy"),
    ("/me/api/consent", "put", "device", ConsentSchema, "Change my consent"),
    ("/me/api/overview", "get", "device", None, "What the /me page shows"),
    ("/me/api/data", "get", "device", None, "Export everything held about me"),
    ("/me/api/data", "delete", "device", None, "Erase everything held about me"),
    ("/me/api/receipts", "get", "device", None, "My erasure receipts"),
    ("/me/api/receipts/{receipt_id}", "get", "device", None, "One erasure receipt"),
]

QUERY = {
    "/admin/api/audit": [
        {
            "name": "limit",
            "in": "query",
            "schema": {"type": "integer", "minimum": 1, "maximum": MAX_PAGE},
        },
        {
            "name": "before",
            "in": "query",
            "schema": {"type": "integer", "minimum": 1, "maximum": 2**53},
        },
    ],
    "/me/api/overview": [{"name": "tz", "in": "query", "schema": {"type": "string"}}],
}
# What a success answers, when it is not 200 (with a body: 201).
SUCCESS = {
    ("/admin/api/employees/{employee}/data", "delete"): "202",
    ("/me/api/data", "delete"): "202",
}
SECURITY = {"admin": "adminToken", "device": "deviceToken"}


def _error(description: str) -> dict:
    return {"description": description, "content": {"application/json": {"schema": "Error"}}}


def _operation(
    path: str, method: str, audience: str, body: type[Schema] | None, summary: str
) -> dict:
    success = SUCCESS.get((path, method), "200")
    op: dict = {
        "summary": summary,
        "security": [{SECURITY[audience]: []}],
        "responses": {
            success: {"description": "OK", "content": {"application/json": {"schema": {}}}},
            "400": _error("Malformed request"),
            "401": _error("Missing or wrong bearer token"),
            "403": _error("Not allowed for this token, or a cookie without the CSRF header"),
            "404": _error("Not found"),
            "422": _error("The body is not valid"),
        },
    }
    params = [
        {"name": name, "in": "path", "required": True, "schema": {"type": "string"}}
        for name in (part[1:-1] for part in path.split("/") if part.startswith("{"))
    ] + QUERY.get(path, [])
    if params:
        op["parameters"] = params
    if body is not None:
        op["requestBody"] = {"required": True, "content": {"application/json": {"schema": body}}}
        if success == "200":
            op["responses"]["201"] = {"description": "Created"}
    return op


@cache
def build_spec() -> dict:
    """Return the OpenAPI 3 description of the admin and employee APIs."""
    spec = APISpec(
        title="Overt",
        version="1",
        openapi_version="3.0.3",
        plugins=[MarshmallowPlugin()],
        info={"description": "Admin and employee HTTP APIs (docs/protocol.md)."},
    )
    spec.components.schema("Error", schema=ErrorSchema)
    for name in SECURITY.values():
        spec.components.security_scheme(name, {"type": "http", "scheme": "bearer"})
    by_path: dict[str, dict] = {}
    for path, method, audience, body, summary in OPERATIONS:
        by_path.setdefault(path, {})[method] = _operation(path, method, audience, body, summary)
    for path, operations in by_path.items():
        spec.path(path=path, operations=operations)
    return spec.to_dict()


@bp.get("/openapi.json")
def openapi_json():
    """Serve the OpenAPI description."""
    return jsonify(build_spec())
