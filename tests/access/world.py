"""What an access case acts on and who calls it: targets made before the callers try, and
the callers (anonymous, a plain user, an administrator without each permission the operation
needs, for a per-tenant operation another tenant's admin, the holder)."""

from __future__ import annotations

import uuid
from dataclasses import asdict, dataclass, replace

from fastapi import FastAPI
from sqlalchemy import select
from sqlmodel import col

from identity.models import PermissionRow, Role, RolePermission
from identity.permissions import Permission
from identity.services import access
from identity.services.tenants.admin_role import admin_role
from tests.factories import (
    Caller,
    add_member,
    add_user,
    caller,
    new_invitation,
    new_location,
    new_permission,
    new_primary_role,
    new_role,
    new_tenant,
    tenant_admin,
)
from tests.support.app import runtime
from tests.support.rows import permission_id

TARGETS_GRANT = ("reports:read", "reports:custom")
"""What the targets' role and permission grant: changing or deleting them needs holding it
(the no-escalation rule), so the holder holds it too."""


@dataclass(frozen=True, slots=True)
class World:
    """The targets of a case; a path names them as ``{user}``, ``{role}``, ..."""

    role: uuid.UUID  # custom, grants reports:read
    empty_role: uuid.UUID  # custom, grants nothing, held by ``user``
    spare_role: uuid.UUID  # custom, grants nothing, held by nobody
    user: uuid.UUID  # target@example.com, a plain user holding ``empty_role``
    permission: uuid.UUID  # custom: reports:custom
    builtin: uuid.UUID  # reports:read
    grantable: uuid.UUID  # the first permission the operation needs: its holder may grant it
    # A tenant's objects, for the per-tenant operations (None otherwise):
    tenant: uuid.UUID | None = None  # "matrix-target"; ``user`` is its member
    location: uuid.UUID | None = None  # of the tenant, ``user``'s primary location
    invitation: uuid.UUID | None = None  # of the tenant, pending
    tenant_role: uuid.UUID | None = None  # of the tenant, grants nothing, held by nobody

    def ids(self) -> dict[str, str]:
        return {name: str(value) for name, value in asdict(self).items() if value is not None}

    def tenant_objects(self) -> list[str]:
        """The tenant's objects' ids: what another tenant's admin never sees."""
        found = (self.tenant, self.location, self.invitation, self.tenant_role)
        return [str(one) for one in found if one is not None]


async def world(app: FastAPI, grantable: Permission, *, tenant: bool = False) -> World:
    empty_role = await new_role(app, name="empty")
    targets = World(
        role=await new_role(app, ["reports:read"], name="target"),
        empty_role=empty_role,
        spare_role=await new_role(app, name="spare"),
        user=await add_user(app, "target@example.com", roles=[empty_role]),
        permission=await new_permission(app, "reports:custom"),
        builtin=await permission_id(app, "reports:read"),
        grantable=await permission_id(app, grantable.value),
    )
    if not tenant:
        return targets
    tenant_id = await new_tenant(app, "matrix-target")
    await add_member(app, tenant_id, targets.user)
    return replace(
        targets,
        tenant=tenant_id,
        location=await new_location(app, tenant_id, "TARGET", assigned=[targets.user]),
        invitation=await new_invitation(app, tenant_id, "invitee@example.com"),
        tenant_role=await _tenant_role(app, tenant_id),
    )


async def _tenant_role(app: FastAPI, tenant_id: uuid.UUID) -> uuid.UUID:
    now = runtime(app).clock.now()
    async with runtime(app).database.unit_of_work() as session:
        role = Role(name="tenant-target", tenant_id=tenant_id, created_at=now, updated_at=now)
        session.add(role)
        await session.flush()
        return role.id


HOLDER = "holder"
OTHER_TENANT_ADMIN = "another tenant's admin"


async def callers(
    app: FastAPI,
    needs: tuple[Permission, ...],
    also: tuple[Permission, ...],
    *,
    tenant: bool = False,
) -> dict[str, Caller | None]:
    """Callers by kind, the holder last. An administrator "without" one permission holds
    every other one through a custom primary role; the holder holds what the operation needs
    (and ``also``, and what the targets grant) through a custom role beside "user".

    With ``tenant``, another tenant's admin comes before the holder: acting in their own
    tenant, whose admin role also grants everything the holder holds, so that only the
    tenant keeps them from the targets."""
    found: dict[str, Caller | None] = {"anonymous": None, "plain user": await caller(app)}
    for missing in needs:
        role = await new_primary_role(app, [one for one in Permission if one is not missing])
        found[f"admin without {missing.value}"] = await caller(app, role=role)
    granted = [*needs, *also, *TARGETS_GRANT]
    if tenant:
        found[OTHER_TENANT_ADMIN] = await _other_tenant_admin(app, granted)
    found[HOLDER] = await caller(app, permissions=granted)
    return found


async def _other_tenant_admin(app: FastAPI, granted: list[str]) -> Caller:
    other = await new_tenant(app, "matrix-other")
    admin = await tenant_admin(app, other)
    async with runtime(app).database.unit_of_work() as session:
        role = await admin_role(session, other)
        assert role is not None
        held = set(await access.role_permission_names(session, [role.id]))
        wanted = sorted({str(one) for one in granted} - held)
        ids = await session.scalars(
            select(col(PermissionRow.id)).where(col(PermissionRow.name).in_(wanted))
        )
        session.add_all(RolePermission(role_id=role.id, permission_id=one) for one in ids)
    return admin
