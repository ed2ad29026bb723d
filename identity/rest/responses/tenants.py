"""Answers of the tenant routes: seed 003's ``/v1/tenants*`` and seed 004's
``/api/v1/organizations*`` (one tenant shape for both)."""

from __future__ import annotations

from typing_extensions import TypedDict

from identity.rest.responses.account import Message, UserOut


class TenantSettingsOut(TypedDict):
    allow_self_registration: bool


class TenantOut(TypedDict):
    id: str
    name: str
    slug: str
    description: str | None
    max_users: int | None
    is_active: bool
    settings: TenantSettingsOut
    allow_self_registration: bool
    member_count: int
    user_count: int
    created_at: str
    updated_at: str


class TenantsPageOut(TypedDict):
    """Seed 003's ``limit``/``offset`` listing."""

    tenants: list[TenantOut]
    total: int
    count: int
    limit: int
    offset: int


class OrganizationsPageOut(TypedDict):
    """Seed 004's ``page``/``size`` listing."""

    items: list[TenantOut]
    total: int
    page: int
    size: int
    pages: int


class TenantDeletedOut(Message):
    id: str


class TenantStatsOut(TypedDict):
    tenant_id: str
    members: int
    total_users: int
    active_members: int
    active_users: int
    active_sessions: int
    logins_last_30_days: int
    pending_invitations: int


class TenantMemberOut(UserOut):
    joined_at: str | None


class TenantMembersOut(TypedDict):
    tenant_id: str
    users: list[TenantMemberOut]
    total: int
    count: int
    limit: int
    offset: int


class TenantMemberChangedOut(Message):
    tenant_id: str
    user_id: str
    changed: bool
