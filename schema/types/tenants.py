"""Tenants (seed 004's organizations), as GraphQL sees them: the tenant with its members,
roles and figures, the tenants connection, inputs and payloads.

``Tenant``'s fields of other capabilities (its locations, its invitations) are answered by
those capabilities' type modules (``tenant_locations``, ``tenant_invitations``), each through
its own loader.
"""

from __future__ import annotations

import uuid
from asyncio import Future
from collections.abc import Hashable
from datetime import datetime
from typing import TYPE_CHECKING, Annotated, Any

import strawberry
from strawberry.relay import PageInfo
from strawberry.types import Info

from identity.errors import IdentityError, NotFound
from identity.models import Role as RoleModel
from identity.permissions import Permission
from identity.services import tenancy
from identity.services._kit import Page
from identity.services.tenants.common import MAX_PAGE, TenantDetails
from identity.services.tenants.members import Member, MembersKey
from identity.services.tenants.stats import TenantStats as Stats
from schema.context import Context
from schema.dataloaders import ready
from schema.declare import Access, needs
from schema.permissions import HasPermission, IsAuthenticated, requires
from schema.types.invitation_status import InvitationStatusModel
from schema.types.pagination import (
    check_list_arguments,
    decode_cursor,
    encode_cursor,
    graphql_error,
)
from schema.types.rbac import Role, roles_of

if TYPE_CHECKING:
    from schema.types.invitations import InvitationList
    from schema.types.locations import Location
    from schema.types.user import User


def record_access(permission: Permission) -> Access:
    """Who may call a field of one tenant's record: documented as ``needs(permission)``,
    checked by the service, so a caller acting in a tenant is told another tenant is not
    found before being refused their own (as over REST)."""
    return Access(
        needs(permission).sentence + " Another tenant's id is not found.", (IsAuthenticated,)
    )


async def _covered(info: Info[Context, None], permission: Permission, tenant_id: uuid.UUID) -> None:
    """The caller's ``permission`` reaches the tenant; a GraphQL error (not found) if not."""
    try:
        reach = await tenancy.reach(info.context.deps, await info.context.principal(), permission)
    except IdentityError as exc:
        raise graphql_error(exc) from exc
    if not reach.covers(tenant_id):
        raise graphql_error(NotFound("Organization not found", field="tenant_id"))


@strawberry.type(description="A tenant's settings.")
class TenantSettings:
    allow_self_registration: bool = strawberry.field(
        description="Whether people may register into the tenant themselves."
    )


@strawberry.type(description="A tenant's figures.")
class TenantStats:
    members: int = strawberry.field(description="Its members.")
    active_members: int = strawberry.field(
        description="Members whose account may log in (active, neither locked nor deactivated)."
    )
    active_sessions: int = strawberry.field(
        description="Sessions acting in the tenant, neither revoked nor expired."
    )
    logins_last_30_days: int = strawberry.field(
        description="Successful logins into the tenant in the last 30 days (audit log)."
    )
    pending_invitations: int = strawberry.field(description="Invitations pending and not expired.")

    @classmethod
    def from_stats(cls, found: Stats, shared: dict[Hashable, Any]) -> TenantStats:
        return cls(
            members=found.members,
            active_members=found.active_members,
            active_sessions=found.active_sessions,
            logins_last_30_days=found.logins_last_30_days,
            pending_invitations=found.pending_invitations,
        )


@strawberry.type(description="A member of a tenant, with its place in the list.")
class TenantMemberEdge:
    cursor: str = strawberry.field(description="Pass as `after` to continue after this one.")
    joined_at: datetime = strawberry.field(description="When they joined the tenant.")
    node: Annotated[User, strawberry.lazy("schema.types.user")] = strawberry.field(
        description="The account."
    )


@strawberry.type(description="A tenant's members, the earliest joined first.")
class TenantMemberConnection:
    edges: list[TenantMemberEdge] = strawberry.field(description="This page's members.")
    page_info: PageInfo = strawberry.field(description="Where this page sits in the list.")
    total_count: int = strawberry.field(description="How many members the tenant has.")

    @classmethod
    def from_page(cls, page: Page[Member]) -> TenantMemberConnection:
        from schema.types.user import User

        edges = [
            TenantMemberEdge(
                cursor=encode_cursor(page.offset + index),
                joined_at=member.joined_at,
                node=User.from_model(member.user),
            )
            for index, member in enumerate(page.items)
        ]
        return cls(
            edges=edges,
            page_info=_page_info(page, edges),
            total_count=page.total,
        )


def _page_info(page: Page[Any], edges: list[Any]) -> PageInfo:
    return PageInfo(
        has_next_page=page.has_next,
        has_previous_page=page.offset > 0,
        start_cursor=edges[0].cursor if edges else None,
        end_cursor=edges[-1].cursor if edges else None,
    )


@strawberry.type(description="A customer organization: its members, roles and sites are its own.")
class Tenant:
    id: strawberry.ID = strawberry.field(description="Tenant id (UUID).")
    name: str = strawberry.field(description="Its name.")
    slug: str = strawberry.field(
        description="Unique: 3 to 63 lower-case letters, digits or hyphens (login's "
        "organization_slug)."
    )
    description: str | None = strawberry.field(description="What it is.")
    max_users: int | None = strawberry.field(description="At most this many members; null: any.")
    is_active: bool = strawberry.field(
        description="An inactive tenant takes no logins and no members."
    )
    settings: TenantSettings = strawberry.field(description="Its settings.")
    member_count: int = strawberry.field(description="How many members it has.")
    created_at: datetime = strawberry.field(description="When it was created.")
    updated_at: datetime = strawberry.field(description="Last change.")
    key: strawberry.Private[uuid.UUID]

    @classmethod
    def from_details(cls, details: TenantDetails) -> Tenant:
        row = details.tenant
        return cls(
            key=row.id,
            id=strawberry.ID(str(row.id)),
            name=row.name,
            slug=row.slug,
            description=row.description,
            max_users=row.max_users,
            is_active=row.is_active,
            settings=TenantSettings(allow_self_registration=row.allow_self_registration),
            member_count=details.member_count,
            created_at=row.created_at,
            updated_at=row.updated_at,
        )

    @strawberry.field(
        description="Its members, the earliest joined first; `first` at most 100. "
        f"{requires(Permission.USERS_READ)} (reaching the tenant)",
        permission_classes=[HasPermission(Permission.USERS_READ)],
    )
    async def members(
        self, info: Info[Context, None], first: int = 20, after: str | None = None
    ) -> TenantMemberConnection:
        try:
            offset = decode_cursor(after)
        except IdentityError as exc:
            raise graphql_error(exc) from exc
        check_list_arguments(
            offset=offset, limit=first, max_limit=MAX_PAGE, offset_name="after", limit_name="first"
        )
        await _covered(info, Permission.USERS_READ, self.key)
        page = await info.context.loaders.members_by_tenant.load(
            MembersKey(tenant_id=self.key, offset=offset, limit=first)
        )
        return TenantMemberConnection.from_page(page)

    @strawberry.field(
        description="Its own roles (not the global ones), by name. "
        f"{requires(Permission.ROLES_READ)} (reaching the tenant)",
        permission_classes=[HasPermission(Permission.ROLES_READ)],
    )
    async def roles(self, info: Info[Context, None]) -> list[Role]:
        await _covered(info, Permission.ROLES_READ, self.key)
        found: list[Role] | Future[list[Role]] = ready(
            info.context.loaders.roles_by_tenant, self.key, _roles
        )
        return await found if isinstance(found, Future) else found

    @strawberry.field(
        description="Its locations, by name; none where your permission does not reach the "
        f"tenant. {requires(Permission.LOCATIONS_READ)}",
        permission_classes=[HasPermission(Permission.LOCATIONS_READ)],
    )
    async def locations(
        self, info: Info[Context, None]
    ) -> list[Annotated[Location, strawberry.lazy("schema.types.locations")]]:
        from schema.types.locations import tenant_locations

        return await tenant_locations(info, self.key)

    @strawberry.field(
        description="Its invitations, newest first; `status` filters (EXPIRED: pending past "
        "expiry); `offset` at most 1000000, `limit` 1 to 100; null where your permission "
        f"does not reach the tenant. {requires(Permission.INVITATIONS_MANAGE)}",
        permission_classes=[HasPermission(Permission.INVITATIONS_MANAGE)],
    )
    async def invitations(
        self,
        info: Info[Context, None],
        status: InvitationStatusModel | None = None,
        offset: int = 0,
        limit: int = 50,
    ) -> Annotated[InvitationList, strawberry.lazy("schema.types.invitations")] | None:
        from schema.types.invitations import tenant_invitations

        return await tenant_invitations(info, self.key, status=status, offset=offset, limit=limit)

    @strawberry.field(description="Its figures.")
    async def stats(self, info: Info[Context, None]) -> TenantStats:
        found: TenantStats | Future[TenantStats] = ready(
            info.context.loaders.stats_by_tenant, self.key, TenantStats.from_stats
        )
        return await found if isinstance(found, Future) else found


def _roles(rows: list[RoleModel], shared: dict[Hashable, Any]) -> list[Role]:
    return roles_of(rows, shared)


@strawberry.type(description="A tenant in a connection, with its cursor.")
class TenantEdge:
    cursor: str = strawberry.field(description="Opaque position; pass it as `after`.")
    node: Tenant = strawberry.field(description="The tenant.")


@strawberry.type(description="A page of tenants by name, with the total that match.")
class TenantConnection:
    edges: list[TenantEdge] = strawberry.field(description="The tenants of this page.")
    page_info: PageInfo = strawberry.field(description="Cursors and whether more pages exist.")
    total_count: int = strawberry.field(description="How many tenants match, across all pages.")

    @classmethod
    def from_page(cls, page: Page[TenantDetails]) -> TenantConnection:
        edges = [
            TenantEdge(cursor=encode_cursor(page.offset + index), node=Tenant.from_details(one))
            for index, one in enumerate(page.items)
        ]
        return cls(edges=edges, page_info=_page_info(page, edges), total_count=page.total)


@strawberry.input(description="Which tenants to list; every condition given must hold.")
class TenantFilter:
    search: str | None = strawberry.field(
        default=None, description="Part of the name or slug; case-insensitive."
    )
    is_active: bool | None = strawberry.field(default=None, description="Active or not.")


@strawberry.input(description="A new tenant; it is created with its `admin` role.")
class CreateTenantInput:
    name: str = strawberry.field(description="Its name.")
    slug: str = strawberry.field(description="3 to 63 lower-case letters, digits or hyphens.")
    description: str | None = strawberry.field(default=None, description="What it is.")
    max_users: int | None = strawberry.field(default=None, description="Member limit (≥ 1).")
    is_active: bool = strawberry.field(default=True, description="Whether it is in use.")
    allow_self_registration: bool = strawberry.field(
        default=False, description="Whether people may register into it themselves."
    )
    owner_id: strawberry.ID | None = strawberry.field(
        default=None, description="A user who joins holding the tenant's admin role."
    )


@strawberry.input(description="Changes to a tenant; omitted fields stay, null clears one.")
class UpdateTenantInput:
    name: str | None = strawberry.field(default=strawberry.UNSET, description="New name.")
    slug: str | None = strawberry.field(default=strawberry.UNSET, description="New slug.")
    description: str | None = strawberry.field(
        default=strawberry.UNSET, description="New description (null clears it)."
    )
    max_users: int | None = strawberry.field(
        default=strawberry.UNSET, description="New member limit (null: none)."
    )
    is_active: bool | None = strawberry.field(
        default=strawberry.UNSET,
        description="false deactivates it: the sessions acting in it end at once.",
    )
    allow_self_registration: bool | None = strawberry.field(
        default=strawberry.UNSET, description="Whether people may register into it."
    )


@strawberry.type(description="The tenant as it is after the change.")
class TenantPayload:
    tenant: Tenant = strawberry.field(description="The tenant.")


@strawberry.type(description="The tenant was deleted; its members' accounts remain.")
class TenantDeleted:
    id: strawberry.ID = strawberry.field(description="Id of the deleted tenant.")


@strawberry.type(description="A membership added or removed.")
class TenantMemberPayload:
    tenant_id: strawberry.ID = strawberry.field(description="The tenant.")
    user: Annotated[User, strawberry.lazy("schema.types.user")] = strawberry.field(
        description="The account."
    )
    changed: bool = strawberry.field(
        description="False when nothing changed (the user already was a member)."
    )
