"""What every administrative change shares: the early permission check, the input rules,
and ``_Act``, one transaction of changes (re-read permissions, dry run, audit, the
super-admin safeguard)."""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from identity.audit_events import EventType
from identity.clock import isoformat_z
from identity.errors import (
    AuthenticationRequired,
    LastSuperAdmin,
    NotFound,
    PermissionDenied,
    ValidationFailed,
)
from identity.models import PermissionRow, Role, TokenPurpose, User, UserStatus
from identity.permissions import SUPERADMIN, Permission
from identity.principal import Holding, Principal
from identity.services import access, audit, authorization, one_time, tenancy
from identity.services._kit import get_or_404
from identity.services.deps import Deps
from identity.services.held import holds_any, superadmin_role
from identity.services.sessions import revoke_sessions
from identity.services.text_rules import https_url, optional_text
from identity.services.users_admin.shapes import _BLOCKED, MAX_LOCK_MINUTES, MAX_REASON_LENGTH


async def _authorize(deps: Deps, principal: Principal | None, *needed: Permission) -> Principal:
    """The caller, if they hold each of ``needed`` now: an early refusal, before any input is
    checked or any write begins. ``_Act.begin`` checks again inside the transaction."""
    if principal is None:
        raise AuthenticationRequired()
    held = await authorization.permissions_of(deps, principal.user_id, principal.tenant_id)
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
    return optional_text(reason, field="reason", max_length=MAX_REASON_LENGTH)


def _text(name: str, value: str | None, limit: int) -> str | None:
    """A profile field by the rules the self-service routes apply (``text_rules``): trimmed,
    empty is None, no control characters, ``avatar_url`` an https URL."""
    if name == "avatar_url":
        return https_url((value or "").strip() or None, field=name, max_length=limit)
    return optional_text(value, field=name, max_length=limit)


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


def narrowest(
    holding: Holding, principal: Principal, needed: Sequence[Permission]
) -> tenancy.Reach:
    """Where every one of ``needed`` reaches: one tenant as soon as one of them reaches no
    further."""
    reaches = [tenancy.reach_of(holding, principal, permission) for permission in needed]
    return next((one for one in reaches if not one.everywhere), tenancy.Reach(None))


@dataclass(slots=True)
class _Act:
    """One administrative transaction: who acts, what they hold, where it reaches, and what
    it removed.

    With ``apply`` false (a dry run) every check runs and nothing is changed or recorded.
    ``reauthenticated``: the caller gave their current password for this change. ``reach``:
    the accounts the caller may change, every one or the members of one tenant (another
    tenant's account is not found).
    """

    session: AsyncSession
    principal: Principal
    held: frozenset[str]
    now: datetime
    apply: bool = True
    superadmins: dict[uuid.UUID, bool] | None = None
    removed: set[uuid.UUID] = field(default_factory=set)
    reauthenticated: bool = False
    reach: tenancy.Reach = field(default_factory=lambda: tenancy.Reach(None))

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
        found = await access.grants_now(session, principal, *needed)
        reach = narrowest(Holding(found.permissions, found.everywhere), principal, needed)
        return cls(session, principal, found.permissions, now, apply, reach=reach)

    def everywhere_only(self, what: str) -> None:
        """Refuse what only a caller reaching every tenant may do (a global role or a direct
        grant reaches every tenant: a tenant's administrator hands out its roles alone)."""
        if not self.reach.everywhere:
            raise PermissionDenied(f"A tenant's administrator cannot {what}")

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
                tenant_id=self.reach.tenant_id,
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
        """The account to change, if within reach (else not found) and manageable."""
        user = await get_or_404(self.session, User, user_id, message="User not found")
        if not self.reach.everywhere and not await tenancy.within(
            self.session, self.reach, user.id
        ):
            raise NotFound("User not found")
        self.ensure_manageable((await access.holdings(self.session, [user.id]))[user.id])
        return user


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
