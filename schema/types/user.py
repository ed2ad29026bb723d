"""Users and their sessions, as GraphQL sees them."""

from __future__ import annotations

import uuid
from asyncio import Future
from datetime import datetime
from typing import TYPE_CHECKING, Annotated, Any

import strawberry
from strawberry.scalars import JSON
from strawberry.types import Info

from identity.models import AuditEvent, AuthSession
from identity.models import User as UserModel
from identity.services import my_tenants
from identity.services import sessions as sessions_service
from identity.services.users_admin.shapes import UserRow
from schema.context import Context
from schema.dataloaders import as_loaded, ready
from schema.execution import context_only
from schema.types.locations import AssignedLocation, locations_of
from schema.types.mfa import Mfa
from schema.types.pagination import check_list_arguments
from schema.types.rbac import Role, roles_of
from schema.types.tenants import Tenant

if TYPE_CHECKING:
    from schema.types.devices import Device

MAX_HISTORY = 100


@strawberry.type(description="One login on one device.")
class Session:
    id: strawberry.ID = strawberry.field(description="Session id.")
    current: bool = strawberry.field(description="Whether this request uses this session.")
    device_id: str | None = strawberry.field(description="The client's device id, if it sent one.")
    device: JSON = strawberry.field(description="Device info the client sent at login.")
    ip_address: str | None = strawberry.field(description="IP address at login.")
    user_agent: str | None = strawberry.field(description="User agent at login.")
    created_at: datetime = strawberry.field(description="When the session was opened.")
    last_used_at: datetime = strawberry.field(description="Last refresh of the session.")
    expires_at: datetime = strawberry.field(description="Absolute expiry.")

    @classmethod
    def from_model(cls, row: AuthSession, *, current_id: uuid.UUID | None) -> Session:
        device: Any = row.device_info
        return cls(
            id=strawberry.ID(str(row.id)),
            current=row.id == current_id,
            device_id=row.device_id,
            device=device,
            ip_address=row.ip_address,
            user_agent=row.user_agent,
            created_at=row.created_at,
            last_used_at=row.last_used_at,
            expires_at=row.expires_at,
        )


@strawberry.type(description="A login-related event from the audit log.")
class LoginEvent:
    event_type: str = strawberry.field(description="login.succeeded, login.failed, logout, ...")
    ip_address: str | None = strawberry.field(description="Where the attempt came from.")
    user_agent: str | None = strawberry.field(description="The client that made it.")
    created_at: datetime = strawberry.field(description="When it happened.")

    @classmethod
    def from_model(cls, row: AuditEvent) -> LoginEvent:
        return cls(
            event_type=row.event_type,
            ip_address=row.ip_address,
            user_agent=row.user_agent,
            created_at=row.created_at,
        )


@strawberry.type(description="An account.")
class User:
    id: strawberry.ID = strawberry.field(description="User id (UUID).")
    email: str = strawberry.field(description="Email address.")
    username: str | None = strawberry.field(description="Optional unique username.")
    first_name: str | None = strawberry.field(description="Given name.")
    last_name: str | None = strawberry.field(description="Family name.")
    display_name: str | None = strawberry.field(description="Name shown to others.")
    organization: str | None = strawberry.field(description="Organisation the user belongs to.")
    subscription_plan: str | None = strawberry.field(description="Subscription plan.")
    avatar_url: str | None = strawberry.field(description="Picture URL.")
    role: str = strawberry.field(description="Primary role, e.g. user or superadmin.")
    status: str = strawberry.field(description="active, inactive, locked or pending.")
    is_active: bool = strawberry.field(description="Whether the account may log in.")
    email_verified: bool = strawberry.field(description="Whether the email was confirmed.")
    last_login: datetime | None = strawberry.field(description="Last successful login.")
    locked_until: datetime | None = strawberry.field(
        description="End of a lock (an administrator's or failed logins'); null: none or "
        "until unlocked."
    )
    created_at: datetime = strawberry.field(description="When the account was created.")
    updated_at: datetime = strawberry.field(description="Last change to the account.")
    key: strawberry.Private[uuid.UUID]

    @classmethod
    def from_model(cls, row: UserModel | UserRow) -> User:
        """From an ORM account or a listed row (the same attributes)."""
        return cls(
            key=row.id,
            id=strawberry.ID(str(row.id)),
            email=row.email,
            username=row.username,
            first_name=row.first_name,
            last_name=row.last_name,
            display_name=row.display_name,
            organization=row.organization,
            subscription_plan=row.subscription_plan,
            avatar_url=row.avatar_url,
            role=row.role,
            status=row.status,
            is_active=row.is_active,
            email_verified=row.email_verified,
            last_login=row.last_login,
            locked_until=row.locked_until,
            created_at=row.created_at,
            updated_at=row.updated_at,
        )

    @strawberry.field(description="Roles held: the primary role first.", graphql_type=list[Role])
    @context_only
    def roles(self, info: Info[Context, None]) -> list[Role] | Future[list[Role]]:
        return ready(info.context.loaders.roles_by_user, self.key, roles_of)

    @strawberry.field(
        description="Effective permission names, sorted: roles and direct grants.",
        graphql_type=list[str],
    )
    @context_only
    def permissions(self, info: Info[Context, None]) -> list[str] | Future[list[str]]:
        return ready(info.context.loaders.permissions_by_user, self.key, as_loaded)

    @strawberry.field(
        description="Locations the user is assigned to, primary ones first: all of them for "
        "the user themself; for others those within the reach of your locations:read (none "
        "without it)."
    )
    async def locations(self, info: Info[Context, None]) -> list[AssignedLocation]:
        return await locations_of(info, self.key)

    @strawberry.field(
        description="The tenants (organizations) the user is a member of, the earliest "
        "joined first. Only the user themself sees them."
    )
    async def tenants(self, info: Info[Context, None]) -> list[Tenant]:
        principal = await info.context.principal()
        if principal is None or principal.user_id != self.key:
            return []
        found = await my_tenants.my_tenants(info.context.deps, principal=principal)
        return [Tenant.from_details(one) for one in found]

    @strawberry.field(
        description="The tenant this session acts in (switchTenant changes it); null when "
        "none. Only the user themself sees it."
    )
    async def active_tenant(self, info: Info[Context, None]) -> Tenant | None:
        principal = await info.context.principal()
        if principal is None or principal.user_id != self.key:
            return None
        found = await my_tenants.active_tenant(info.context.deps, principal=principal)
        return Tenant.from_details(found) if found is not None else None

    @strawberry.field(description="Active sessions. Only the user themself sees them.")
    async def sessions(self, info: Info[Context, None]) -> list[Session]:
        principal = await info.context.principal()
        if principal is None or principal.user_id != self.key:
            return []
        rows = await info.context.loaders.active_sessions_by_user.load(principal.user_id)
        return [Session.from_model(row, current_id=principal.session_id) for row in rows]

    @strawberry.field(
        description="Devices: the sessions sharing a device id, and trusted devices signed out "
        "everywhere, each with its trust. Only the user themself sees them."
    )
    async def devices(
        self, info: Info[Context, None]
    ) -> list[Annotated[Device, strawberry.lazy("schema.types.devices")]]:
        from schema.types.devices import Device

        principal = await info.context.principal()
        if principal is None or principal.user_id != self.key:
            return []
        found = await sessions_service.devices(info.context.deps, principal=principal)
        return [Device.from_model(one, current_id=principal.session_id) for one in found]

    @strawberry.field(
        description="Second factors: enabled methods, the preferred one, backup codes left, "
        "security keys. Only the user themself sees them."
    )
    async def mfa(self, info: Info[Context, None]) -> Mfa | None:
        principal = await info.context.principal()
        if principal is None or principal.user_id != self.key:
            return None
        found = await info.context.loaders.mfa_by_user.load(principal.user_id)
        return Mfa.from_summary(principal.user_id, found)

    @strawberry.field(
        description="Recent logins, failures and logouts, `limit` 1 to 100. Only for the user "
        "themself."
    )
    async def login_history(self, info: Info[Context, None], limit: int = 20) -> list[LoginEvent]:
        check_list_arguments(limit=limit, max_limit=MAX_HISTORY)
        principal = await info.context.principal()
        if principal is None or principal.user_id != self.key:
            return []
        events = await sessions_service.login_history(
            info.context.deps, user_id=principal.user_id, limit=limit
        )
        return [LoginEvent.from_model(event) for event in events]
