"""Bulk actions: one transition applied to many accounts, each one's outcome reported; a dry
run runs every check on a read-only session and writes nothing."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import select
from sqlmodel import col

from identity.audit_events import EventType
from identity.errors import IdentityError, NotFound, ValidationFailed
from identity.models import Role, User
from identity.principal import Principal
from identity.services import access
from identity.services.deps import Deps
from identity.services.users_admin.act import _Act, _authorize, _lock_until, _reason, _role_named
from identity.services.users_admin.shapes import (
    BULK_PERMISSIONS,
    MAX_BULK_USERS,
    BulkAction,
    BulkOutcome,
    BulkResult,
)
from identity.services.users_admin.transitions import (
    _activate,
    _assign_role,
    _deactivate,
    _delete,
    _lock,
    _unlock,
)


async def bulk_action(
    deps: Deps,
    *,
    principal: Principal | None,
    action: BulkAction,
    user_ids: Sequence[uuid.UUID],
    reason: str | None = None,
    role: str | None = None,
    duration_minutes: int | None = None,
    dry_run: bool = False,
) -> BulkResult:
    """Apply one action to many accounts, reporting each one's outcome.

    Each account is checked as its single operation would be; those that pass are changed
    in one transaction. A dry run runs every check on a read-only session and writes nothing,
    not even an audit event.
    """
    needed = [BULK_PERMISSIONS[action]]
    principal = await _authorize(deps, principal, *needed)
    ids = list(dict.fromkeys(user_ids))
    if not 1 <= len(ids) <= MAX_BULK_USERS:
        raise ValidationFailed(f"Send 1 to {MAX_BULK_USERS} user ids", field="user_ids")
    role = (role or "").strip() or None
    if action == BulkAction.ASSIGN_ROLE and role is None:
        raise ValidationFailed("assign_role needs a role", field="role")
    reason = _reason(reason)
    now = deps.clock.now()
    until = _lock_until(now, duration_minutes) if action == BulkAction.LOCK else None
    if dry_run:
        async with deps.database.read() as session:
            act = await _Act.begin(session, principal, needed, now, apply=False)
            outcomes = await _bulk(act, action, ids, reason=reason, role=role, until=until)
    else:
        async with deps.database.unit_of_work() as session:
            act = await _Act.begin(session, principal, needed, now)
            outcomes = await _bulk(act, action, ids, reason=reason, role=role, until=until)
    return BulkResult(action=action, dry_run=dry_run, outcomes=outcomes)


async def _bulk(
    act: _Act,
    action: BulkAction,
    ids: list[uuid.UUID],
    *,
    reason: str | None,
    role: str | None,
    until: datetime | None,
) -> list[BulkOutcome]:
    assigned: tuple[Role, frozenset[str]] | None = None
    if role is not None and action == BulkAction.ASSIGN_ROLE:
        act.everywhere_only(f"give the global role '{role}'")
        assigned = await _role_named(act.session, role)
    found = await act.session.scalars(
        select(User).where(col(User.id).in_(ids), act.reach.members(col(User.id)))
    )
    users = {user.id: user for user in found.all()}
    targets = await access.holdings(act.session, list(users))

    async def change(user: User) -> None:
        match action:
            case BulkAction.ACTIVATE:
                await _activate(act, user)
            case BulkAction.DEACTIVATE:
                await _deactivate(act, user, reason=reason)
            case BulkAction.LOCK:
                await _lock(act, user, reason=reason, until=until)
            case BulkAction.UNLOCK:
                await _unlock(act, user)
            case BulkAction.DELETE:
                await _delete(act, user, reason=reason)
            case BulkAction.ASSIGN_ROLE:
                assert assigned is not None  # noqa: S101 (set above for this action)
                await _assign_role(act, user, role=assigned[0], granted=assigned[1])

    outcomes: list[BulkOutcome] = []
    for user_id in ids:
        user = users.get(user_id)
        if user is None:
            outcomes.append(BulkOutcome(user_id, False, NotFound.code, "User not found"))
            continue
        try:
            act.ensure_manageable(targets[user_id])
            await change(user)
        except IdentityError as exc:
            outcomes.append(BulkOutcome(user_id, False, exc.code, exc.message))
            continue
        outcomes.append(BulkOutcome(user_id, True))
    done = [outcome.user_id for outcome in outcomes if outcome.ok]
    if done:
        act.audit(
            EventType.USERS_BULK_ACTION,
            act.principal.user_id,
            {
                "action": action.value,
                "reason": reason,
                "users": [str(user_id) for user_id in done],
                "failed": len(outcomes) - len(done),
            },
        )
    return outcomes
