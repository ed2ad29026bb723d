"""Roles and permissions, as GraphQL sees them: types, inputs and payloads."""

from __future__ import annotations

import uuid
from asyncio import Future
from collections.abc import Hashable
from datetime import datetime
from typing import TYPE_CHECKING, Annotated, Any

import strawberry
from strawberry.relay import PageInfo
from strawberry.types import Info

from identity.models import PermissionRow
from identity.models import Role as RoleModel
from identity.permissions import Permission as PermissionName
from identity.services.roles import HoldersKey, RoleDetails
from schema.context import Context
from schema.dataloaders import ready
from schema.execution import replayable
from schema.permissions import HasPermission, requires
from schema.types.pagination import check_list_arguments, decode_cursor, encode_cursor

if TYPE_CHECKING:
    from schema.types.user import User

MAX_PAGE = 100


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


def permissions_of(rows: list[PermissionRow], shared: dict[Hashable, Any]) -> list[Permission]:
    return [Permission.from_model(row) for row in rows]


@strawberry.type(description="Permissions of one resource.")
class PermissionGroup:
    resource: str = strawberry.field(description="The resource, e.g. users.")
    permissions: list[Permission] = strawberry.field(description="Its permissions, by name.")


@strawberry.type(description="One account holding the role, with its place in the list.")
class RoleUserEdge:
    cursor: str = strawberry.field(description="Pass as `after` to continue after this one.")
    node: Annotated[User, strawberry.lazy("schema.types.user")] = strawberry.field(
        description="The account."
    )


@strawberry.type(description="Accounts holding a role (primarily or as an extra role), by email.")
class RoleUserConnection:
    edges: list[RoleUserEdge] = strawberry.field(description="This page's accounts.")
    page_info: PageInfo = strawberry.field(description="Where this page sits in the list.")
    total_count: int = strawberry.field(description="How many accounts hold the role.")

    @strawberry.field(description="This page's accounts, without cursors.")
    @replayable
    def nodes(self) -> list[Annotated[User, strawberry.lazy("schema.types.user")]]:
        return [edge.node for edge in self.edges]


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
    key: strawberry.Private[uuid.UUID]

    @classmethod
    def from_model(cls, row: RoleModel) -> Role:
        return cls(
            key=row.id,
            id=strawberry.ID(str(row.id)),
            name=row.name,
            description=row.description,
            is_active=row.is_active,
            is_system=row.is_system,
            tenant_id=strawberry.ID(str(row.tenant_id)) if row.tenant_id else None,
            created_at=row.created_at,
            updated_at=row.updated_at,
        )

    @strawberry.field(description="The permissions the role grants.", graphql_type=list[Permission])
    @replayable
    def permissions(self, info: Info[Context, None]) -> list[Permission] | Future[list[Permission]]:
        return ready(info.context.loaders.permissions_by_role, self.key, permissions_of)

    @strawberry.field(
        description="Accounts holding the role, by email; `first` at most 100. "
        f"{requires(PermissionName.USERS_READ)} Null (with an error) without it.",
        permission_classes=[HasPermission(PermissionName.USERS_READ)],
    )
    async def users(
        self, info: Info[Context, None], first: int = 20, after: str | None = None
    ) -> RoleUserConnection | None:
        from schema.types.user import User

        offset = decode_cursor(after)
        check_list_arguments(offset=offset, limit=first, max_limit=MAX_PAGE, limit_name="first")
        limit = first
        page = await info.context.loaders.holders_by_role.load(
            HoldersKey(role_id=self.key, offset=offset, limit=limit)
        )
        edges = [
            RoleUserEdge(cursor=encode_cursor(offset + index), node=User.from_model(user))
            for index, user in enumerate(page.users)
        ]
        return RoleUserConnection(
            edges=edges,
            page_info=PageInfo(
                has_next_page=page.has_next,
                has_previous_page=offset > 0,
                start_cursor=edges[0].cursor if edges else None,
                end_cursor=edges[-1].cursor if edges else None,
            ),
            total_count=page.total,
        )


def roles_of(rows: list[RoleModel], shared: dict[Hashable, Any]) -> list[Role]:
    """The GraphQL roles of ``rows``, each built once per request (``shared``)."""
    found: list[Role] = []
    for row in rows:
        role = shared.get(row.id)
        if role is None:
            role = shared[row.id] = Role.from_model(row)
        found.append(role)
    return found


def role_from(info: Info[Context, None], details: RoleDetails) -> Role:
    """The GraphQL role; its permissions, already read, are handed to Role.permissions' loader
    (replacing what an earlier mutation of the same operation put there)."""
    key = details.role.id
    info.context.loaders.permissions_by_role.clear(key).prime(key, details.permissions)
    return Role.from_model(details.role)


@strawberry.input(description="A new custom role.")
class CreateRoleInput:
    name: str = strawberry.field(description="Unique name (not a system role's).")
    description: str | None = strawberry.field(default=None, description="What it is for.")
    is_active: bool = strawberry.field(default=True, description="Whether it grants anything.")
    tenant_id: strawberry.ID | None = strawberry.field(
        default=None, description="Tenant it belongs to."
    )
    permission_ids: list[strawberry.ID] = strawberry.field(
        default_factory=list, description="Permissions to grant at once (you must hold them)."
    )


@strawberry.input(description="Changes to a custom role; omitted fields stay as they are.")
class UpdateRoleInput:
    name: str | None = strawberry.field(default=None, description="New name.")
    description: str | None = strawberry.field(default=None, description="New description.")
    is_active: bool | None = strawberry.field(default=None, description="Activate/deactivate.")


@strawberry.input(description="A new custom permission: name is resource:action.")
class CreatePermissionInput:
    name: str | None = strawberry.field(
        default=None, description="resource:action; may be omitted when both parts are given."
    )
    resource: str | None = strawberry.field(default=None, description="The resource part.")
    action: str | None = strawberry.field(default=None, description="The action part.")
    description: str | None = strawberry.field(default=None, description="What it allows.")


@strawberry.input(description="Changes to a custom permission; omitted fields stay.")
class UpdatePermissionInput:
    name: str | None = strawberry.field(default=None, description="New resource:action.")
    resource: str | None = strawberry.field(default=None, description="New resource part.")
    action: str | None = strawberry.field(default=None, description="New action part.")
    description: str | None = strawberry.field(default=None, description="New description.")


@strawberry.type(description="The role as it is after the change.")
class RolePayload:
    role: Role = strawberry.field(description="The role.")


@strawberry.type(description="The role was deleted.")
class RoleDeleted:
    id: strawberry.ID = strawberry.field(description="Id of the deleted role.")


@strawberry.type(description="The permission as it is after the change.")
class PermissionPayload:
    permission: Permission = strawberry.field(description="The permission.")


@strawberry.type(description="The permission was deleted, with every grant of it.")
class PermissionDeleted:
    id: strawberry.ID = strawberry.field(description="Id of the deleted permission.")


@strawberry.type(description="The roles a user holds after the change.")
class UserRolesPayload:
    user_id: strawberry.ID = strawberry.field(description="The user.")
    roles: list[Role] = strawberry.field(description="Every role they hold, by name.")
