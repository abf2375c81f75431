"""One function per admin or employee action: change state, purge, announce, audit.

Routes (backend/admin.py, backend/me.py) and CLI commands (backend/cli.py) parse their input,
call one of these, and format the result. These functions, and only these, publish on the
control channel: the state-keeping modules they call (pauses, consent, policy, employees) don't.
Each action writes its state before it announces it, so a backend that misses the message still
reads the state (backend/control.py resyncs from it).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import redis

from . import consent, control, device_tokens, employees, pauses
from . import erase as erasure
from .audit import audit
from .employees import Identity
from .policy import get_policy, put_policy
from .purge import purge_employee, purge_scope

# Puts the erasure job (employee, receipt id) on the queue; the caller gives it: core has no RQ.
EnqueueErasure = Callable[[str, str], object]


def pause(
    r: redis.Redis, actor: str, scope: dict, reason: str, purge: bool = False
) -> tuple[dict, bool, int]:
    """Pause `scope`; return the pause record, whether it is new, and the events purged.

    `purge` deletes the scope's queued, unsealed events whether the pause is new or the scope was
    already paused (then the existing record is marked purged as of now, for the workers).
    """
    record, created = pauses.pause(r, scope, reason, purge, actor)
    if created:
        control.publish(r, "pause", frame=pauses.pause_frame(record), scope=record["scope"])
    elif purge:  # marked before purging: what a worker holds in flight is dropped too
        record = pauses.mark_purged(r, record["pause_id"])
    purged = purge_scope(r, record["scope"]) if purge else 0
    audit(
        r,
        actor,
        "pause",
        pause_id=record["pause_id"],
        scope=record["scope"],
        reason=record["reason"],
        created=created,
        purge=purge,
        purged=purged,
    )
    return record, created, purged


def pause_warnings(r: redis.Redis, scope: dict) -> list[str]:
    """Return what an admin should know about a pause's scope: that it names nobody enrolled.

    Such a pause is kept (it holds for whoever enrolls, or is moved, into its scope later), but a
    typo in a name must not look like a pause that took effect.
    """
    if "employee" in scope and employees.team_of(r, scope["employee"]) is None:
        return [
            f"no employee {scope['employee']} is enrolled: the pause covers nobody until they are"
        ]
    if "team" in scope:
        teams = {record["team"] for record in employees.list_employees(r).values()}
        if scope["team"] not in teams:
            return [
                f"no enrolled employee is in team {scope['team']}: the pause covers nobody until"
                " someone is enrolled in it or moved to it"
            ]
    return []


def resume(
    r: redis.Redis, actor: str, pause_id: str | None = None, scope: dict | None = None
) -> dict:
    """End the active pause named by id or scope; return its record (PauseNotFoundError if none)."""
    record = pauses.resume(r, pause_id, scope)
    frame = {"type": "resume", "pause_id": record["pause_id"]}
    control.publish(r, "resume", frame=frame, scope=record["scope"])
    audit(r, actor, "resume", pause_id=record["pause_id"], scope=record["scope"])
    return record


DEFAULT_TEAM = "default"


def enroll(
    r: redis.Redis, actor: str, employee: str, team: str | None = None
) -> tuple[str, Identity]:
    """Issue a device token for `employee`; return it (shown once) and its identity.

    `team` None keeps an enrolled employee's team ("default" for a new one). Another team moves
    the employee: every device of theirs belongs to it from now on (welcome, pauses, the
    console), and connected ones are told the pause state that now applies to them.
    """
    previous = employees.team_of(r, employee)
    team = team or previous or DEFAULT_TEAM
    token, ident = employees.enroll(r, employee, team)
    if previous is not None and previous != team:
        moved = employees.move_tokens(r, employee, team)
        control.publish(r, "team", frame={"team": team}, scope={"employee": employee})
        audit(r, actor, "team_change", employee=employee, old=previous, new=team, devices=moved)
    audit(r, actor, "enroll", employee=ident.employee, team=ident.team, device=ident.device)
    return token, ident


# Sent to each of a revoked employee's open sockets before it is closed (backend/revocation.py).
REVOKED_FRAME = {"type": "error", "code": "revoked", "message": "this device's token was revoked"}


def revoke(r: redis.Redis, actor: str, employee: str) -> int:
    """Revoke every device token of `employee` and close their sockets everywhere; return count.

    The tokens go first, so from that moment intake refuses the device's frames; then every
    backend process closes the employee's open sockets.
    """
    count = employees.revoke(r, employee)
    control.publish(r, "revoke", frame=REVOKED_FRAME, scope={"employee": employee})
    audit(r, actor, "revoke", employee=employee, tokens=count)
    return count


def revoke_device(r: redis.Redis, actor: str, device: str) -> str | None:
    """Revoke one device's token and close its sockets everywhere; return its employee.

    None when no device of that id holds a token. The employee's other devices keep working.
    """
    employee = device_tokens.revoke_device(r, device)
    if employee is None:
        return None
    control.publish(r, "revoke", frame=REVOKED_FRAME, scope={"employee": employee}, device=device)
    audit(r, actor, "revoke", employee=employee, device=device, tokens=1)
    return employee


def change_policy(r: redis.Redis, actor: str, new: dict) -> dict:
    """Store a new policy, lapse the consent it no longer covers, announce both; return it."""
    old_k = get_policy(r)["min_contributors"]
    policy, lapsed = put_policy(r, new)
    lost = consent.lapse(r, lapsed, policy["version"]) if lapsed else {}
    control.publish(r, "policy", frame={"type": "policy", **policy})
    for employee in lost:
        _announce_consent(r, employee, consent.get_consent(r, employee))
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


def change_consent(
    r: redis.Redis, ident: Identity, changes: dict[str, bool], policy: dict, confirm: bool = False
) -> tuple[dict[str, bool], set[str], int]:
    """Apply an employee's consent changes (the ledger records them); purge what was withdrawn.

    Return the consent, the withdrawn categories and the queued events purged. Raises
    ConsentError when the change cannot be made as asked.
    """
    signals = consent.privacy_signals(r, ident.device)
    categories, withdrawn = consent.set_consent(
        r, ident.employee, changes, policy, ident.device, signals, confirm
    )
    purged = purge_employee(r, ident.employee, withdrawn) if withdrawn else 0
    _announce_consent(r, ident.employee, categories)
    return categories, withdrawn, purged


def erase(r: redis.Redis, employee: str, enqueue: EnqueueErasure) -> dict:
    """Erase `employee` now from everything unsealed; enqueue the rewrite of sealed shards.

    Return the pending receipt; `enqueue(employee, receipt_id)` puts the job that calls
    `complete_erasure` on the queue.
    """
    receipt = erasure.start_erasure(r, employee)
    enqueue(employee, receipt["receipt_id"])
    return receipt


# The audit log's actor for what an employee did themselves (their own erasure).
EMPLOYEE_ACTOR = "employee"


def complete_erasure(
    r: redis.Redis,
    datasets: Path,
    secret: str,
    employee: str,
    receipt_id: str,
    actor: str | None = None,
    reason: str | None = None,
) -> dict:
    """Rewrite the sealed shards holding `employee`; complete the receipt; audit an admin's."""
    receipt = erasure.finish_erasure(r, datasets, secret, employee, receipt_id)
    if actor:
        audit(
            r,
            actor,
            "erase_receipt" if actor == EMPLOYEE_ACTOR else "erase",
            employee=employee,
            **({"reason": reason} if reason else {}),
            receipt_id=receipt_id,
            shards=len(receipt["shards"]),
            removed=receipt["removed_total"],
        )
    return receipt


def _announce_consent(r: redis.Redis, employee: str, categories: dict[str, bool]) -> None:
    frame = {"type": "consent", "categories": categories}
    control.publish(r, "consent", frame=frame, scope={"employee": employee})
