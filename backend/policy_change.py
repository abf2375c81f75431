"""Change the policy: the one path behind `PUT /admin/api/policy` and `overt policy set`.

Validates with PolicySchema, stores, lapses consent the change invalidates, tells connected
extensions, and audits, so the CLI and the admin API cannot drift apart.
"""

from __future__ import annotations

import redis

from .core import consent, control
from .core.audit import audit
from .core.policy import get_policy, put_policy
from .schemas import PolicySchema


def change_policy(r: redis.Redis, body: dict, actor: str) -> dict:
    """Validate `body` (raises marshmallow.ValidationError), store it, and return the policy."""
    req = PolicySchema().load(body)
    old_k = get_policy(r)["min_contributors"]
    policy, lapsed = put_policy(r, req)
    lost = consent.lapse(r, lapsed, policy["version"]) if lapsed else {}
    control.publish(r, "policy", frame={"type": "policy", **policy})
    for employee in lost:
        categories = consent.get_consent(r, employee)
        control.publish(
            r,
            "consent",
            frame={"type": "consent", "categories": categories},
            scope={"employee": employee},
        )
    audit(
        r,
        actor,
        "policy",
        version=policy["version"],
        lapsed=sorted(lapsed),
        employees_lapsed=len(lost),
    )
    if policy["min_contributors"] != old_k:
        audit(r, actor, "min_contributors", old=old_k, new=policy["min_contributors"])
    return policy
