"""Users administration: list, read, create, change, lock, delete, bulk actions, direct grants.

Access is decided here, from the calling principal, for GraphQL and REST alike:

| operation | needs |
| --- | --- |
| list, get, list admins | ``users:read`` |
| create, update (PUT/PATCH), role assignment, activate/deactivate | ``users:write`` |
| a change of ``status`` to or from ``locked``, lock, unlock | ``users:lock`` (and the above) |
| delete | ``users:delete`` |
| direct grants (create with ``permissions``, set permissions) | also ``permissions:write`` |

Rules beyond the permission each operation needs:

- *In the transaction*: the caller's permissions are checked early, and read again inside
  the unit of work that makes the change, so a revocation committed in between stops it.
- *No escalation* (``PRIVILEGE_ESCALATION``, 403): a caller assigns only roles whose
  permissions they hold, grants or removes only permissions they hold, and changes only
  accounts whose permissions they hold, inactive roles included (an ``admin`` cannot lock
  or demote a super-admin). The rules live in ``services.access``.
- *Acting on oneself*: changing one's own email or username here needs the current
  password, as on the self-service routes (``auth.check_current_password``: the same
  refusal, ``INVALID_CREDENTIALS``, and the same attempt counter).
- *A super-admin remains* (``LAST_SUPERADMIN``, 409): the last active super-admin cannot be
  locked, deactivated, demoted or deleted. The remaining super-admins are read ``FOR UPDATE``
  so two concurrent requests cannot each remove one of the last two.
- Locking, deactivating or deleting an account ends its sessions in the same transaction, so
  its access tokens stop working at once (``auth.authenticate`` checks session and status).
- A change of an account's email or status (lock, unlock, activate, deactivate) retires
  every outstanding one-time token of the account, all purposes, in the same transaction:
  a link mailed before must not outlive what the administrator changed.
- Every change writes its audit event (old and new values) in the transaction of the change.
"""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import Enum, StrEnum
from typing import Any, Final

from sqlalchemy import ColumnElement, Select, delete, func, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from identity.audit_events import EventType
from identity.clock import isoformat_z
from identity.errors import (
    AuthenticationRequired,
    Conflict,
    IdentityError,
    InvalidCredentials,
    LastSuperAdmin,
    NotFound,
    PermissionDenied,
    ValidationFailed,
)
from identity.models import (
    PermissionRow,
    Role,
    TokenPurpose,
    User,
    UserPermission,
    UserStatus,
    set_primary_role,
)
from identity.permissions import SUPERADMIN, USER, Permission
from identity.principal import Principal
from identity.services import (
    access,
    audit,
    authorization,
    one_time,
    runtime_settings,
    throttle,
)
from identity.services.accounts import (
    MAX_LENGTHS,
    _ensure_unique,
    normalize_email,
    normalize_username,
)
from identity.services.auth import check_current_password
from identity.services.authorization import Grants
from identity.services.deps import Deps
from identity.services.held import global_role_named, holds_any, superadmin_role
from identity.services.password_rules import check_new_password
from identity.services.sessions import revoke_sessions
from identity.services.text_rules import clean_text, https_url, identifier_key

MAX_PAGE_SIZE: Final = 100
MAX_BULK_USERS: Final = 500
MAX_LOCK_MINUTES: Final = 10 * 365 * 24 * 60
MAX_REASON_LENGTH: Final = 500
# Profile columns an administrator sets, with their lengths (the self-service routes' own,
# accounts.MAX_LENGTHS); PUT clears the ones not sent.
PROFILE_FIELDS: Final = {
    name: MAX_LENGTHS[name]
    for name in (
        "first_name",
        "last_name",
        "display_name",
        "avatar_url",
        "organization",
        "subscription_plan",
    )
}
_BLOCKED: Final = (UserStatus.INACTIVE, UserStatus.LOCKED)


class Unset(Enum):
    """Marks a field a partial update leaves as it is (``None`` clears a nullable one)."""

    UNSET = "UNSET"


UNSET: Final = Unset.UNSET


class SortField(StrEnum):
    CREATED_AT = "created_at"
    EMAIL = "email"
    LAST_LOGIN = "last_login"


class SortOrder(StrEnum):
    ASC = "asc"
    DESC = "desc"


class BulkAction(StrEnum):
    ACTIVATE = "activate"
    DEACTIVATE = "deactivate"
    LOCK = "lock"
    UNLOCK = "unlock"
    DELETE = "delete"
    ASSIGN_ROLE = "assign_role"


BULK_PERMISSIONS: Final = {
    BulkAction.ACTIVATE: Permission.USERS_WRITE,
    BulkAction.DEACTIVATE: Permission.USERS_WRITE,
    BulkAction.LOCK: Permission.USERS_LOCK,
    BulkAction.UNLOCK: Permission.USERS_LOCK,
    BulkAction.DELETE: Permission.USERS_DELETE,
    BulkAction.ASSIGN_ROLE: Permission.USERS_WRITE,
}


@dataclass(frozen=True, slots=True, kw_only=True)
class UserQuery:
    """Which users, in which order, which slice (``offset``/``limit``, at most 100)."""

    search: str | None = None
    role: str | None = None
    status: str | None = None
    is_active: bool | None = None
    admins_only: bool = False
    sort: SortField = SortField.CREATED_AT
    order: SortOrder = SortOrder.ASC
    offset: int = 0
    limit: int = 20


@dataclass(frozen=True, slots=True)
class UserPage:
    users: list[User]
    total: int
    offset: int
    limit: int

    @property
    def has_next(self) -> bool:
        return self.offset + len(self.users) < self.total


@dataclass(frozen=True, slots=True, kw_only=True)
class NewUser:
    email: str
    password: str
    username: str | None = None
    first_name: str | None = None
    last_name: str | None = None
    display_name: str | None = None
    role: str = USER
    status: str | None = None
    is_active: bool | None = None
    email_verified: bool = False
    must_change_password: bool = False
    permissions: Sequence[str] = ()


@dataclass(frozen=True, slots=True, kw_only=True)
class UserChanges:
    """Fields to change. UNSET leaves a field as it is; with ``replace`` (PUT) the profile
    fields and the username that are UNSET are cleared instead."""

    email: str | Unset = UNSET
    username: str | Unset | None = UNSET
    first_name: str | Unset | None = UNSET
    last_name: str | Unset | None = UNSET
    display_name: str | Unset | None = UNSET
    avatar_url: str | Unset | None = UNSET
    organization: str | Unset | None = UNSET
    subscription_plan: str | Unset | None = UNSET
    role: str | Unset = UNSET
    status: str | Unset = UNSET
    is_active: bool | Unset = UNSET
    email_verified: bool | Unset = UNSET


@dataclass(frozen=True, slots=True)
class BulkOutcome:
    user_id: uuid.UUID
    ok: bool
    code: str | None = None
    message: str | None = None


@dataclass(frozen=True, slots=True)
class BulkResult:
    action: BulkAction
    dry_run: bool
    outcomes: list[BulkOutcome]

    @property
    def affected(self) -> int:
        return sum(outcome.ok for outcome in self.outcomes)

    @property
    def failed(self) -> list[BulkOutcome]:
        return [outcome for outcome in self.outcomes if not outcome.ok]


# --- reads -------------------------------------------------------------------------------


def _conditions(query: UserQuery) -> list[ColumnElement[bool]]:
    conditions: list[ColumnElement[bool]] = []
    term = (query.search or "").strip().lower()
    if term:
        full_name = (
            func.coalesce(col(User.first_name), "") + " " + func.coalesce(col(User.last_name), "")
        )
        searched = (
            col(User.email_key),
            col(User.username_key),
            func.lower(full_name),
            func.lower(col(User.display_name)),
        )
        conditions.append(or_(*(column.contains(term, autoescape=True) for column in searched)))
    if query.role:
        conditions.append(holds_any(select(col(Role.id)).where(col(Role.name) == query.role)))
    if query.status:
        conditions.append(col(User.status) == _status(query.status))
    if query.is_active is not None:
        conditions.append(col(User.is_active).is_(query.is_active))
    if query.admins_only:
        conditions.append(col(User.role_id) != global_role_named(USER).scalar_subquery())
    return conditions


def _ordered(statement: Select[Any], query: UserQuery) -> Select[Any]:
    column: Any = {
        SortField.CREATED_AT: col(User.created_at),
        SortField.EMAIL: col(User.email_key),
        SortField.LAST_LOGIN: col(User.last_login),
    }[query.sort]
    descending = query.order == SortOrder.DESC
    first = column.desc() if descending else column.asc()
    if query.sort == SortField.LAST_LOGIN:
        first = first.nulls_last()  # never-logged-in accounts last, whichever the order
    tie = col(User.id).desc() if descending else col(User.id).asc()
    return statement.order_by(first, tie)


def _check_query(query: UserQuery) -> None:
    if not 0 <= query.limit <= MAX_PAGE_SIZE:
        raise ValidationFailed(f"Page size must be 0 to {MAX_PAGE_SIZE}", field="limit")
    if query.offset < 0:
        raise ValidationFailed("Offset cannot be negative", field="offset")


async def list_users(deps: Deps, *, principal: Principal | None, query: UserQuery) -> UserPage:
    """One page and the total: two statements whatever the page size."""
    await authorization.require(deps, principal, Permission.USERS_READ)
    _check_query(query)
    conditions = _conditions(query)
    counted = select(func.count()).select_from(User).where(*conditions)
    page = _ordered(select(User).where(*conditions), query).offset(query.offset).limit(query.limit)
    async with deps.database.read() as session:
        total = int(await session.scalar(counted) or 0)
        users = list((await session.scalars(page)).all()) if query.limit else []
    return UserPage(users=users, total=total, offset=query.offset, limit=query.limit)


async def get_user(deps: Deps, *, principal: Principal | None, user_id: uuid.UUID) -> User:
    await authorization.require(deps, principal, Permission.USERS_READ)
    async with deps.database.read() as session:
        user = await session.get(User, user_id)
    if user is None:
        raise NotFound("User not found")
    return user


async def grants_of(deps: Deps, user_ids: Iterable[uuid.UUID]) -> dict[uuid.UUID, Grants]:
    """Effective and direct permissions of users already read: two statements at most."""
    ids = list(dict.fromkeys(user_ids))
    if not ids:
        return {}
    async with deps.database.read() as session:
        return await authorization.grants(session, ids)


# --- what every change shares ------------------------------------------------------------


async def _authorize(deps: Deps, principal: Principal | None, *needed: Permission) -> Principal:
    """The caller, if they hold each of ``needed`` now: an early refusal, before any input is
    checked or any write begins. ``_Act.begin`` checks again inside the transaction."""
    if principal is None:
        raise AuthenticationRequired()
    held = await authorization.permissions_of(deps, principal.user_id)
    for permission in needed:
        if permission.value not in held:
            raise PermissionDenied(f"Requires the {permission.value} permission")
    return principal


def _require_held(held: frozenset[str], permission: Permission) -> None:
    if permission.value not in held:
        raise PermissionDenied(f"Requires the {permission.value} permission")


def _no_escalation(held: frozenset[str], wanted: Iterable[str], *, what: str, field: str) -> None:
    access.no_escalation(held, wanted, f"You cannot grant {what}", field=field)


def _status(value: str) -> UserStatus:
    try:
        return UserStatus(value)
    except ValueError:
        allowed = ", ".join(status.value for status in UserStatus)
        raise ValidationFailed(f"Status must be one of {allowed}", field="status") from None


def _lock_until(now: datetime, duration_minutes: int | None) -> datetime | None:
    if duration_minutes is None:
        return None
    if not 1 <= duration_minutes <= MAX_LOCK_MINUTES:
        raise ValidationFailed(
            f"duration_minutes must be 1 to {MAX_LOCK_MINUTES}", field="duration_minutes"
        )
    return now + timedelta(minutes=duration_minutes)


def _reason(reason: str | None) -> str | None:
    reason = (reason or "").strip() or None
    if reason is not None and len(reason) > MAX_REASON_LENGTH:
        raise ValidationFailed(
            f"reason may hold at most {MAX_REASON_LENGTH} characters", field="reason"
        )
    return reason


def _text(name: str, value: str | None, limit: int) -> str | None:
    """A profile field by the rules the self-service routes apply (``text_rules``): trimmed,
    empty is None, no control characters, ``avatar_url`` an https URL."""
    value = (value or "").strip() or None
    if name == "avatar_url":
        return https_url(value, field=name, max_length=limit)
    return clean_text(value, field=name, max_length=limit)


def _blocked(user: User) -> bool:
    return not user.is_active or user.status in _BLOCKED


async def _role_named(session: AsyncSession, name: str) -> tuple[Role, frozenset[str]]:
    """The global role called ``name`` and the permission names it grants; an unknown role
    is a validation error."""
    role = await session.scalar(
        select(Role).where(col(Role.name) == name, col(Role.tenant_id).is_(None))
    )
    if role is None:
        raise ValidationFailed(f"Unknown role '{name}'", field="role")
    return role, await access.role_permission_names(session, [role.id])


async def _permission_ids(session: AsyncSession, names: Sequence[str]) -> dict[str, uuid.UUID]:
    """Ids of the named permissions; any unknown name is a validation error naming them all."""
    wanted = list(dict.fromkeys(name.strip() for name in names))
    if not wanted:
        return {}
    rows = await session.execute(
        select(col(PermissionRow.name), col(PermissionRow.id)).where(
            col(PermissionRow.name).in_(wanted)
        )
    )
    found = {name: permission_id for name, permission_id in rows}
    unknown = [name for name in wanted if name not in found]
    if unknown:
        raise ValidationFailed(
            f"Unknown permission(s): {', '.join(unknown)}",
            field="permissions",
            details={"unknown": unknown},
        )
    return found


@dataclass(slots=True)
class _Act:
    """One administrative transaction: who acts, what they hold, and what it removed.

    With ``apply`` false (a dry run) every check runs and nothing is changed or recorded.
    ``reauthenticated``: the caller gave their current password for this change.
    """

    session: AsyncSession
    principal: Principal
    held: frozenset[str]
    now: datetime
    apply: bool = True
    superadmins: dict[uuid.UUID, bool] | None = None
    removed: set[uuid.UUID] = field(default_factory=set)
    reauthenticated: bool = False

    @classmethod
    async def begin(
        cls,
        session: AsyncSession,
        principal: Principal,
        needed: Sequence[Permission],
        now: datetime,
        *,
        apply: bool = True,
    ) -> _Act:
        """The transaction's act, once the caller's permissions, read in it, allow it."""
        held = await access.held_now(session, principal, *needed)
        return cls(session, principal, held, now, apply)

    def audit(self, event_type: EventType, user_id: uuid.UUID, details: dict[str, Any]) -> None:
        if self.apply:
            audit.record(
                self.session,
                event_type=event_type,
                now=self.now,
                meta=self.principal.meta,
                actor_id=self.principal.user_id,
                subject_id=user_id,
                session_id=self.principal.session_id,
                resource="users",
                resource_id=str(user_id),
                details=details,
            )

    async def end_sessions(self, user: User, reason: str) -> int:
        return await revoke_sessions(self.session, now=self.now, reason=reason, user_id=user.id)

    async def end_links(self, user: User, *, email: str | None = None) -> None:
        """Retire the account's outstanding one-time tokens, every purpose; with ``email``
        also sign-up links sent to that address before it was the account's."""
        await one_time.revoke_for_user(
            self.session, user_id=user.id, purposes=tuple(TokenPurpose), now=self.now, email=email
        )

    def ensure_manageable(self, target_permissions: frozenset[str]) -> None:
        access.ensure_manageable(self.held, target_permissions)

    async def active_superadmins(self) -> dict[uuid.UUID, bool]:
        """Active super-admins, each with whether they hold the role besides ``users.role``.

        In a real change the role row and these accounts are locked (FOR UPDATE), so
        concurrent changes take turns and each sees what the one before committed.
        """
        if self.superadmins is None:
            through_roles = holds_any(
                superadmin_role().where(col(Role.is_active).is_(True)), extra_only=True
            )
            statement = select(col(User.id), through_roles.label("through_roles")).where(
                col(User.is_active).is_(True),
                col(User.status).not_in(_BLOCKED),
                or_(col(User.role_id).in_(superadmin_role()), through_roles),
            )
            if self.apply:
                # The super-admin role row first, as ``roles.ensure_superadmin_remains``
                # does: changes that may remove a super-admin take turns on it.
                await self.session.execute(superadmin_role().with_for_update())
                statement = statement.with_for_update(of=User)
            rows = await self.session.execute(statement)
            self.superadmins = {user_id: bool(extra) for user_id, extra in rows}
        return self.superadmins

    async def keep_a_superadmin(
        self, user: User, *, active: bool, role: str | None, deleted: bool = False
    ) -> None:
        """Refuse a change that leaves no active super-admin (``active``/``role``: after it)."""
        holders = await self.active_superadmins()
        if user.id not in holders:
            return
        still = not deleted and active and (role == SUPERADMIN or holders[user.id])
        if still:
            return
        if not holders.keys() - self.removed - {user.id}:
            raise LastSuperAdmin(
                "This is the last active super-admin: it cannot be locked, deactivated, "
                "demoted or deleted"
            )
        self.removed.add(user.id)

    async def load(self, user_id: uuid.UUID) -> User:
        user = await self.session.get(User, user_id)
        if user is None:
            raise NotFound("User not found")
        self.ensure_manageable((await access.holdings(self.session, [user.id]))[user.id])
        return user


# --- the changes, one account at a time (single operations and bulk actions share them) ---


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


def _when(moment: datetime | None) -> str | None:
    return isoformat_z(moment) if moment else None


async def _single(
    deps: Deps,
    principal: Principal,
    needed: Permission,
    user_id: uuid.UUID,
    change: Callable[[_Act, User], Awaitable[None]],
) -> User:
    async with deps.database.unit_of_work() as session:
        act = await _Act.begin(session, principal, [needed], deps.clock.now())
        user = await act.load(user_id)
        await change(act, user)
    return user


# --- single operations -------------------------------------------------------------------


def _initial_status(status: str | None, is_active: bool | None) -> tuple[UserStatus, bool]:
    if status is None:
        active = True if is_active is None else is_active
        return (UserStatus.ACTIVE if active else UserStatus.INACTIVE), active
    parsed = _status(status)
    return parsed, (parsed != UserStatus.INACTIVE) if is_active is None else is_active


async def create_user(
    deps: Deps, *, principal: Principal | None, new: NewUser, admin: bool = False
) -> User:
    """Create an account with a password the policy accepts; ``admin`` refuses role ``user``."""
    needed = [Permission.USERS_WRITE]
    if new.permissions:
        needed.append(Permission.PERMISSIONS_WRITE)
    principal = await _authorize(deps, principal, *needed)
    email = normalize_email(new.email)
    username = normalize_username(new.username)
    first_name = _text("first_name", new.first_name, PROFILE_FIELDS["first_name"])
    last_name = _text("last_name", new.last_name, PROFILE_FIELDS["last_name"])
    display_name = _text("display_name", new.display_name, PROFILE_FIELDS["display_name"])
    role = (new.role or USER).strip()
    if admin and role == USER:
        raise ValidationFailed("An administrator's role cannot be 'user'", field="role")
    status, is_active = _initial_status(new.status, new.is_active)
    policy = await runtime_settings.current(deps)  # administrators tune the minimum length
    await check_new_password(
        deps, new.password, email=email, username=username, min_length=policy.password_min_length
    )
    password_hash = await deps.hasher.hash(new.password)
    now = deps.clock.now()
    try:
        async with deps.database.unit_of_work() as session:
            act = await _Act.begin(session, principal, needed, now)
            held = act.held
            primary, granted = await _role_named(session, role)
            _no_escalation(held, granted, what=f"the role '{role}'", field="role")
            grants = await _permission_ids(session, new.permissions)
            _no_escalation(held, grants, what="these permissions", field="permissions")
            await _ensure_unique(
                session,
                email_key=identifier_key(email),
                username_key=identifier_key(username) if username else None,
                exclude=None,
            )
            user = User(
                role_id=primary.id,
                email=email,
                email_key=identifier_key(email),
                username=username,
                username_key=identifier_key(username) if username else None,
                status=status,
                is_active=is_active,
                email_verified=new.email_verified,
                email_verified_at=now if new.email_verified else None,
                password_hash=password_hash,
                password_changed_at=now,
                must_change_password=new.must_change_password,
                locked_at=now if status == UserStatus.LOCKED else None,
                created_at=now,
                updated_at=now,
                first_name=first_name,
                last_name=last_name,
                display_name=display_name,
            )
            set_primary_role(user, primary)
            session.add(user)
            await session.flush()
            session.add_all(
                UserPermission(user_id=user.id, permission_id=permission_id, created_at=now)
                for permission_id in grants.values()
            )
            act.audit(
                EventType.USER_CREATED,
                user.id,
                {
                    "new": {
                        "email": email,
                        "username": username,
                        "role": role,
                        "status": status,
                        "is_active": is_active,
                        "permissions": sorted(grants),
                    }
                },
            )
    except IntegrityError as exc:
        raise Conflict("Email or username already registered", field="email") from exc
    return user


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
    wanted: dict[str, Any] = {}
    for name, limit in PROFILE_FIELDS.items():
        value = getattr(changes, name)
        if isinstance(value, Unset):
            if not replace:
                continue
            value = None
        wanted[name] = _text(name, value, limit)
    if not isinstance(changes.username, Unset) or replace:
        username = None if isinstance(changes.username, Unset) else changes.username
        wanted["username"] = normalize_username(username)
    if not isinstance(changes.email, Unset):
        wanted["email"] = normalize_email(changes.email)
    if not isinstance(changes.role, Unset):
        role = changes.role.strip()
        if not role:
            raise ValidationFailed("Role cannot be empty", field="role")
        wanted["role"] = role
    if not isinstance(changes.status, Unset):
        wanted["status"] = _status(changes.status)
    if not isinstance(changes.is_active, Unset):
        wanted["is_active"] = changes.is_active
    if not isinstance(changes.email_verified, Unset):
        wanted["email_verified"] = changes.email_verified
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


async def set_permissions(
    deps: Deps, *, principal: Principal | None, user_id: uuid.UUID, permissions: Sequence[str]
) -> tuple[User, Grants]:
    """Replace a user's direct grants (seed 000's admin permissions); roles are unchanged."""
    needed = [Permission.USERS_WRITE, Permission.PERMISSIONS_WRITE]
    principal = await _authorize(deps, principal, *needed)
    now = deps.clock.now()
    async with deps.database.unit_of_work() as session:
        act = await _Act.begin(session, principal, needed, now)
        held = act.held
        user = await act.load(user_id)
        wanted = await _permission_ids(session, permissions)
        current = (await authorization.grants(session, [user.id]))[user.id].direct
        _no_escalation(
            held, current ^ wanted.keys(), what="or remove these permissions", field="permissions"
        )
        if current != set(wanted):
            await session.execute(
                delete(UserPermission).where(col(UserPermission.user_id) == user.id)
            )
            session.add_all(
                UserPermission(user_id=user.id, permission_id=permission_id, created_at=now)
                for permission_id in wanted.values()
            )
            user.updated_at = now
            act.audit(
                EventType.USER_PERMISSIONS_SET,
                user.id,
                {"old": {"permissions": sorted(current)}, "new": {"permissions": sorted(wanted)}},
            )
        await session.flush()
        after = (await authorization.grants(session, [user.id]))[user.id]
    return user, after


# --- bulk actions ------------------------------------------------------------------------


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
        assigned = await _role_named(act.session, role)
    found = await act.session.scalars(select(User).where(col(User.id).in_(ids)))
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
