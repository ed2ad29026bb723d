"""State transitions, one account at a time: lock, unlock, activate, deactivate, delete,
assign the primary role. Single operations and bulk actions share each one (``_Act``: dry
run and audit in the transaction)."""

from __future__ import annotations

import uuid
from datetime import datetime

from identity.audit_events import EventType
from identity.models import Role, User, UserStatus, set_primary_role
from identity.permissions import Permission
from identity.principal import Principal
from identity.services import throttle
from identity.services.deps import Deps
from identity.services.users_admin.act import (
    _Act,
    _authorize,
    _blocked,
    _lock_until,
    _no_escalation,
    _reason,
    _single,
    _when,
)


async def _lock(act: _Act, user: User, *, reason: str | None, until: datetime | None) -> None:
    await act.keep_a_superadmin(user, active=False, role=user.role)
    if not act.apply:
        return
    old = {"status": user.status, "locked_until": _when(user.locked_until)}
    user.status = UserStatus.LOCKED
    user.locked_at = act.now
    user.locked_until = until
    user.updated_at = act.now
    revoked = await act.end_sessions(user, "user_locked")
    await act.end_links(user)
    act.audit(
        EventType.USER_LOCKED,
        user.id,
        {
            "reason": reason,
            "old": old,
            "new": {"status": user.status, "locked_until": _when(until)},
            "sessions_revoked": revoked,
        },
    )


async def _unlock(act: _Act, user: User) -> None:
    if not act.apply:
        return
    old = {"status": user.status, "locked_until": _when(user.locked_until)}
    if user.status == UserStatus.LOCKED:
        user.status = UserStatus.ACTIVE if user.is_active else UserStatus.INACTIVE
        await act.end_links(user)
    user.locked_at = None
    user.locked_until = None
    user.failed_login_attempts = 0
    user.updated_at = act.now
    # The failed-login lockout of the account ends too.
    await throttle.forget(act.session, keys=[throttle.login_key("", user.id)])
    act.audit(EventType.USER_UNLOCKED, user.id, {"old": old, "new": {"status": user.status}})


async def _activate(act: _Act, user: User) -> None:
    if not act.apply:
        return
    old = {"is_active": user.is_active, "status": user.status}
    if not user.is_active or user.status in (UserStatus.INACTIVE, UserStatus.PENDING):
        await act.end_links(user)
    user.is_active = True
    if user.status in (UserStatus.INACTIVE, UserStatus.PENDING):
        user.status = UserStatus.ACTIVE  # a lock stays: unlocking needs users:lock
    user.updated_at = act.now
    act.audit(
        EventType.USER_ACTIVATED,
        user.id,
        {"old": old, "new": {"is_active": True, "status": user.status}},
    )


async def _deactivate(act: _Act, user: User, *, reason: str | None) -> None:
    await act.keep_a_superadmin(user, active=False, role=user.role)
    if not act.apply:
        return
    old = {"is_active": user.is_active, "status": user.status}
    user.is_active = False
    if user.status != UserStatus.LOCKED:
        user.status = UserStatus.INACTIVE
    user.updated_at = act.now
    revoked = await act.end_sessions(user, "user_deactivated")
    await act.end_links(user)
    act.audit(
        EventType.USER_DEACTIVATED,
        user.id,
        {
            "reason": reason,
            "old": old,
            "new": {"is_active": False, "status": user.status},
            "sessions_revoked": revoked,
        },
    )


async def _delete(act: _Act, user: User, *, reason: str | None) -> None:
    await act.keep_a_superadmin(user, active=False, role=None, deleted=True)
    if not act.apply:
        return
    revoked = await act.end_sessions(user, "user_deleted")
    act.audit(
        EventType.USER_DELETED,
        user.id,
        {
            "reason": reason,
            "old": {"email": user.email, "username": user.username, "role": user.role},
            "sessions_revoked": revoked,
        },
    )
    await act.session.delete(user)  # sessions, tokens, roles and grants go by cascade


async def _assign_role(act: _Act, user: User, *, role: Role, granted: frozenset[str]) -> None:
    _no_escalation(act.held, granted, what=f"the role '{role.name}'", field="role")
    await act.keep_a_superadmin(user, active=not _blocked(user), role=role.name)
    if not act.apply or user.role_id == role.id:
        return
    old = user.role
    set_primary_role(user, role)
    user.updated_at = act.now
    act.audit(
        EventType.USER_ROLE_CHANGED, user.id, {"old": {"role": old}, "new": {"role": role.name}}
    )


async def delete_user(
    deps: Deps, *, principal: Principal | None, user_id: uuid.UUID, reason: str | None = None
) -> None:
    principal = await _authorize(deps, principal, Permission.USERS_DELETE)
    reason = _reason(reason)

    async def change(act: _Act, user: User) -> None:
        await _delete(act, user, reason=reason)

    await _single(deps, principal, Permission.USERS_DELETE, user_id, change)


async def lock_user(
    deps: Deps,
    *,
    principal: Principal | None,
    user_id: uuid.UUID,
    reason: str | None = None,
    duration_minutes: int | None = None,
) -> User:
    """Lock an account (until ``now + duration_minutes``, or until unlocked) and end its
    sessions."""
    principal = await _authorize(deps, principal, Permission.USERS_LOCK)
    reason = _reason(reason)
    until = _lock_until(deps.clock.now(), duration_minutes)

    async def change(act: _Act, user: User) -> None:
        await _lock(act, user, reason=reason, until=until)

    return await _single(deps, principal, Permission.USERS_LOCK, user_id, change)


async def unlock_user(deps: Deps, *, principal: Principal | None, user_id: uuid.UUID) -> User:
    """Lift an administrator's lock and the failed-login lockout."""
    principal = await _authorize(deps, principal, Permission.USERS_LOCK)
    return await _single(deps, principal, Permission.USERS_LOCK, user_id, _unlock)
