"""Roles and permissions, as GraphQL sees them."""

from __future__ import annotations

from datetime import datetime

import strawberry
from strawberry.types import Info

from identity.models import PermissionRow
from identity.models import Role as RoleModel
from schema.context import Context


@strawberry.type(description="A resource:action permission.")
class Permission:
    id: strawberry.ID = strawberry.field(description="Permission id (UUID).")
    name: str = strawberry.field(description="resource:action, e.g. users:read.")
    resource: str = strawberry.field(description="The resource part of the name.")
    action: str = strawberry.field(description="The action part of the name.")
    description: str | None = strawberry.field(description="What it allows.")
    is_system: bool = strawberry.field(description="Built in: cannot be changed or deleted.")

    @classmethod
    def from_model(cls, row: PermissionRow) -> Permission:
        return cls(
            id=strawberry.ID(str(row.id)),
            name=row.name,
            resource=row.resource,
            action=row.action,
            description=row.description,
            is_system=row.is_system,
        )


@strawberry.type(description="A named set of permissions that users hold.")
class Role:
    id: strawberry.ID = strawberry.field(description="Role id (UUID).")
    name: str = strawberry.field(description="Unique name, e.g. admin.")
    description: str | None = strawberry.field(description="What the role is for.")
    is_active: bool = strawberry.field(description="Inactive roles grant nothing.")
    is_system: bool = strawberry.field(description="Built in: cannot be changed or deleted.")
    tenant_id: strawberry.ID | None = strawberry.field(description="Tenant it belongs to.")
    created_at: datetime = strawberry.field(description="When it was created.")
    updated_at: datetime = strawberry.field(description="Last change.")

    @classmethod
    def from_model(cls, row: RoleModel) -> Role:
        return cls(
            id=strawberry.ID(str(row.id)),
            name=row.name,
            description=row.description,
            is_active=row.is_active,
            is_system=row.is_system,
            tenant_id=strawberry.ID(str(row.tenant_id)) if row.tenant_id else None,
            created_at=row.created_at,
            updated_at=row.updated_at,
        )

    @strawberry.field(description="The permissions the role grants.")
    async def permissions(self, info: Info[Context, None]) -> list[Permission]:
        rows = await info.context.loaders.permissions_by_role.load(self.id)
        return [Permission.from_model(row) for row in rows]
