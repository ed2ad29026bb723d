"""The rules administrative writes share, written once: the caller's permissions read inside
the write's own transaction, no escalation, and who may manage an account or a role.

- *In the transaction* (ASVS V15.4.2): a write re-reads what its caller holds in the unit
  of work that makes the change, after the row locks it takes, so a revocation committed
  before that read stops a write whose early check passed.
- *No escalation* (``PRIVILEGE_ESCALATION``, 403): nobody grants, removes or switches off
  what they do not hold. The refusal always carries ``details.permissions``: the
  permissions the caller lacks, sorted.
- *Manageable*: an account may be changed only by a caller holding every permission it
  holds, counting its inactive roles too: switching a role off must not open its holders to
  someone who could then switch it on again.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence

from sqlalchemy import exists, or_, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from identity.errors import AuthenticationRequired, PermissionDenied, PrivilegeEscalation
from identity.models import PermissionRow, Role, RolePermission
from identity.permissions import SUPERADMIN, Permission
from identity.principal import Principal
from identity.services import authorization


def no_escalation(
    held: frozenset[str], needed: Iterable[str], message: str, *, field: str | None = None
) -> None:
    """PrivilegeEscalation naming the permissions of ``needed`` the caller does not hold."""
    beyond = sorted(set(needed) - held)
    if beyond:
        raise PrivilegeEscalation(
            f"{message}: it needs permissions you do not hold ({', '.join(beyond)})",
            field=field,
            details={"permissions": beyond},
        )


async def grants_now(
    session: AsyncSession, principal: Principal | None, *needed: Permission
) -> authorization.Grants:
    """What the caller holds acting in their tenant as ``session``'s transaction sees it (and
    which of it is held globally), if that includes each of ``needed``; PermissionDenied
    otherwise."""
    if principal is None:
        raise AuthenticationRequired()
    found = (
        await authorization.grants(session, [principal.user_id], tenant_id=principal.tenant_id)
    )[principal.user_id]
    for permission in needed:
        if permission.value not in found.permissions:
            raise PermissionDenied(f"Requires the {permission.value} permission")
    return found


async def held_now(
    session: AsyncSession, principal: Principal | None, *needed: Permission
) -> frozenset[str]:
    """Everything the caller holds (acting in their tenant) as ``session``'s transaction sees
    it, if that includes each of ``needed``; PermissionDenied otherwise."""
    return (await grants_now(session, principal, *needed)).permissions


async def holdings(
    session: AsyncSession, user_ids: Iterable[uuid.UUID]
) -> dict[uuid.UUID, frozenset[str]]:
    """What decides who may manage each account: its permissions, inactive roles and the
    roles of every tenant included (an account changed in one tenant is changed in all)."""
    found = await authorization.grants(session, user_ids, inactive_roles=True, every_tenant=True)
    return {user_id: grants.permissions for user_id, grants in found.items()}


def ensure_manageable(held: frozenset[str], target: frozenset[str]) -> None:
    """Refuse changing an account holding (see ``holdings``) anything the caller does not."""
    no_escalation(held, target, "You cannot change this account")


async def role_permission_names(
    session: AsyncSession, role_ids: Sequence[uuid.UUID]
) -> frozenset[str]:
    """Every permission the roles grant, active or not (the super-admin role: all of them),
    in one statement."""
    ids = list(dict.fromkeys(role_ids))
    if not ids:
        return frozenset()
    superadmin = exists().where(
        col(Role.id).in_(ids), col(Role.name) == SUPERADMIN, col(Role.tenant_id).is_(None)
    )
    granted = select(col(RolePermission.permission_id)).where(col(RolePermission.role_id).in_(ids))
    names = await session.scalars(
        select(col(PermissionRow.name)).where(or_(superadmin, col(PermissionRow.id).in_(granted)))
    )
    return frozenset(names.all())
