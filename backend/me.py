"""`/me`: an employee's own consent and data (bearer device token)."""

from __future__ import annotations

import json

from flask import Blueprint, jsonify, request

from . import consent, control, keys
from .auth import require_device
from .errors import APIError
from .policy import get_policy
from .schemas import ConsentSchema
from .store import get_redis

bp = Blueprint("me", __name__, url_prefix="/me")


def _body() -> dict:
    data = request.get_json(silent=True)
    if not isinstance(data, dict):
        raise APIError(400, "bad_json", "the body must be a JSON object")
    return data


@bp.get("/api/consent")
def get_consent():
    ident = require_device()
    r = get_redis()
    return jsonify({"categories": consent.get_consent(r, ident.employee), "policy": get_policy(r)})


@bp.put("/api/consent")
def put_consent():
    ident = require_device()
    req = ConsentSchema().load(_body())
    r = get_redis()
    raw = r.hget(keys.KEY_SIGNALS, ident.device)
    signals = json.loads(raw) if raw else {}
    try:
        categories, withdrawn = consent.set_consent(
            r,
            ident.employee,
            req["categories"],
            get_policy(r),
            ident.device,
            signals,
            req["confirm"],
        )
    except consent.ConsentError as err:
        status = 409 if err.code == "confirmation_required" else 422
        raise APIError(status, err.code, str(err), err.errors) from None
    purged = 0
    if withdrawn:
        from workers.purge import purge_employee

        purged = purge_employee(r, ident.employee, withdrawn)
    control.publish(
        r,
        "consent",
        frame={"type": "consent", "categories": categories},
        scope={"employee": ident.employee},
    )
    return jsonify({"categories": categories, "withdrawn": sorted(withdrawn), "purged": purged})
