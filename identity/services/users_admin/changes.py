"""Changing an account (PATCH; PUT with ``replace``): profile, sign-in fields, primary role,
status, each checked as the self-service routes and the transitions check them."""

from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum
from typing import Any, Final

from sqlalchemy.exc import IntegrityError

from identity.audit_events import EventType
from identity.clock import isoformat_z
from identity.errors import Conflict, InvalidCredentials, ValidationFailed
from identity.models import Role, User, UserStatus, set_primary_role
from identity.permissions import Permission
from identity.principal import Principal
from identity.services._kit import given
from identity.services.accounts import _ensure_unique, normalize_email, normalize_username
from identity.services.auth import check_current_password
from identity.services.deps import Deps
from identity.services.text_rules import identifier_key
from identity.services.users_admin.act import (
    _Act,
    _authorize,
    _blocked,
    _no_escalation,
    _require_held,
    _role_named,
    _status,
    _text,
)
from identity.services.users_admin.shapes import _BLOCKED, PROFILE_FIELDS, UserChanges


def _next_status(
    user: User, status: UserStatus | None, is_active: bool | None
) -> tuple[UserStatus, bool]:
    """status and is_active after a change of either: they are kept in step."""
    current = UserStatus(user.status)
    if status is not None and is_active is not None:
        return status, is_active
    if status is not None:
        if status == UserStatus.LOCKED:
            return status, user.is_active
        return status, status != UserStatus.INACTIVE
    if is_active is not None:
        if not is_active:
            return (current if current == UserStatus.LOCKED else UserStatus.INACTIVE), False
        return (UserStatus.ACTIVE if current == UserStatus.INACTIVE else current), True
    return current, user.is_active


def _wanted(changes: UserChanges, *, replace: bool) -> dict[str, Any]:
    """The new values, checked and normalised, of the fields the change names."""
    sent = given(changes)
    wanted: dict[str, Any] = {}
    for name, limit in PROFILE_FIELDS.items():
        if name in sent or replace:
            wanted[name] = _text(name, sent.get(name), limit)
    if "username" in sent or replace:
        wanted["username"] = normalize_username(sent.get("username"))
    if "email" in sent:
        wanted["email"] = normalize_email(sent["email"])
    if "role" in sent:
        role = sent["role"].strip()
        if not role:
            raise ValidationFailed("Role cannot be empty", field="role")
        wanted["role"] = role
    if "status" in sent:
        wanted["status"] = _status(sent["status"])
    for name in ("is_active", "email_verified"):
        if name in sent:
            wanted[name] = sent[name]
    return wanted


async def update_user(
    deps: Deps,
    *,
    principal: Principal | None,
    user_id: uuid.UUID,
    changes: UserChanges,
    replace: bool = False,
    current_password: str | None = None,
) -> User:
    """Change an account (PATCH; PUT with ``replace``): uniqueness, roles, status, sessions.

    Changing one's own email or username also needs ``current_password``.
    """
    principal = await _authorize(deps, principal, Permission.USERS_WRITE)
    wanted = _wanted(changes, replace=replace)
    reauthenticated = False
    if user_id == principal.user_id and _sign_in_changes(principal.user, wanted):
        await check_current_password(
            deps,
            user=principal.user,
            password=current_password or "",
            meta=principal.meta,
            session_id=principal.session_id,
        )
        reauthenticated = True
    try:
        async with deps.database.unit_of_work() as session:
            act = await _Act.begin(session, principal, [Permission.USERS_WRITE], deps.clock.now())
            act.reauthenticated = reauthenticated
            user = await act.load(user_id)
            await _apply_changes(act, user, wanted)
    except IntegrityError as exc:
        raise Conflict("Email or username already registered", field="email") from exc
    return user


_SIGN_IN_FIELDS: Final = frozenset({"email", "username"})


def _sign_in_changes(user: User, wanted: dict[str, Any]) -> set[str]:
    """The fields one signs in with that ``wanted`` changes."""
    return {name for name in _SIGN_IN_FIELDS & wanted.keys() if wanted[name] != getattr(user, name)}


def _wrong_current_password() -> InvalidCredentials:
    """The refusal of a change of one's own sign-in fields without the current password:
    the same as ``auth.check_current_password``'s for a wrong one."""
    return InvalidCredentials("Current password is incorrect", field="current_password")


async def _apply_changes(act: _Act, user: User, wanted: dict[str, Any]) -> None:
    status, is_active = _next_status(
        user, wanted.pop("status", None), wanted.pop("is_active", None)
    )
    if (status == UserStatus.LOCKED) != (user.status == UserStatus.LOCKED):
        _require_held(act.held, Permission.USERS_LOCK)
    wanted["status"], wanted["is_active"] = status, is_active
    email = wanted.pop("email", None)
    if email is not None and email != user.email:
        wanted["email"] = email
        if identifier_key(email) != user.email_key and "email_verified" not in wanted:
            wanted["email_verified"] = False  # a new address is not proven
    changed = {name: value for name, value in wanted.items() if getattr(user, name) != value}
    own = user.id == act.principal.user_id
    if own and changed.keys() & _SIGN_IN_FIELDS and not act.reauthenticated:
        raise _wrong_current_password()  # the account changed since the caller was read
    primary: Role | None = None
    if "role" in changed:
        act.everywhere_only(f"give the global role '{changed['role']}'")
        primary, granted = await _role_named(act.session, changed["role"])
        _no_escalation(act.held, granted, what=f"the role '{changed['role']}'", field="role")
    if changed.keys() & {"role", "status", "is_active"}:
        await act.keep_a_superadmin(
            user,
            active=is_active and status not in _BLOCKED,
            role=changed.get("role", user.role),
        )
    email_key = identifier_key(changed["email"]) if "email" in changed else None
    if email_key == user.email_key:
        email_key = None  # only the letter case (or another spelling of the same key) changes
    username_key = identifier_key(changed["username"]) if changed.get("username") else None
    if email_key is not None or username_key is not None:
        await _ensure_unique(
            act.session, email_key=email_key, username_key=username_key, exclude=user.id
        )
    if not changed:
        return
    old = {name: _plain(getattr(user, name)) for name in changed}
    for name, value in changed.items():
        if name != "role":
            setattr(user, name, value)
    if primary is not None:
        set_primary_role(user, primary)
    if "email" in changed:
        user.email_key = identifier_key(changed["email"])
    if "username" in changed:
        user.username_key = username_key
    if "email_verified" in changed:
        user.email_verified_at = act.now if user.email_verified else None
    if "status" in changed:
        locked = user.status == UserStatus.LOCKED
        user.locked_at = act.now if locked else None
        if not locked:
            user.locked_until = None
    user.updated_at = act.now
    details: dict[str, Any] = {"old": old, "new": {k: _plain(v) for k, v in changed.items()}}
    if ("status" in changed or "is_active" in changed) and _blocked(user):
        details["sessions_revoked"] = await act.end_sessions(user, "user_disabled")
    if changed.keys() & {"email", "status", "is_active"}:
        await act.end_links(user, email=changed.get("email"))
    act.audit(EventType.USER_UPDATED, user.id, details)


def _plain(value: Any) -> Any:
    if isinstance(value, datetime):
        return isoformat_z(value)
    if isinstance(value, StrEnum):
        return value.value
    return value
