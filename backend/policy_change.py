"""Change the policy: the one path behind `PUT /admin/api/policy` and `overt policy set`.

Validates with PolicySchema, then `actions.change_policy` stores, lapses the consent the change
invalidates, tells connected extensions and audits, so the CLI and the admin API cannot drift.
"""

from __future__ import annotations

import redis

from .core import actions
from .schemas import PolicySchema


def change_policy(r: redis.Redis, body: dict, actor: str) -> dict:
    """Validate `body` (raises marshmallow.ValidationError), store it, and return the policy."""
    return actions.change_policy(r, actor, PolicySchema().load(body))
