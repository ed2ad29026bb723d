"""Answers of the administration routes: users, roles, permissions, settings."""

from __future__ import annotations

from typing import Any, NotRequired

from typing_extensions import TypedDict

from identity.rest.responses.account import Message, UserOut


class AdminUserOut(UserOut):
    """A user as administrators see them: effective permissions, and the direct grants."""

    direct_permissions: list[str]
    locked_at: str | None


class UsersPageOut(TypedDict):
    """Seed 000's page/size and seed 004's skip/limit, together."""

    items: list[AdminUserOut]
    total: int
    page: int
    size: int
    pages: int
    skip: int
    limit: int


class UsersOffsetPageOut(TypedDict):
    users: list[AdminUserOut]
    total: int
    limit: int
    offset: int
    count: int


class FailedUserOut(TypedDict):
    user_id: str
    code: str | None
    message: str | None


class OutcomeOut(FailedUserOut):
    ok: bool


class BulkOut(Message):
    action: str
    dry_run: bool
    affected_users: int
    failed_users: list[FailedUserOut]
    results: list[OutcomeOut]


class LockedOut(Message):
    locked_until: str | None
    user: AdminUserOut


class UnlockedOut(Message):
    user: AdminUserOut


class DirectPermissionsOut(Message):
    permissions: list[str]
    effective_permissions: list[str]
    user_id: str


class PermissionOut(TypedDict):
    id: str
    name: str
    resource: str
    action: str
    description: str | None
    is_system: bool
    created_at: str | None
    updated_at: str | None


class PermissionsCountedOut(TypedDict):
    permissions: list[PermissionOut]
    count: int


class RoleOut(TypedDict):
    """A role; ``organization_id`` is seed 004's name of its tenant. Its permissions come with
    it wherever one role is answered."""

    id: str
    name: str
    description: str | None
    is_active: bool
    is_system: bool
    tenant_id: str | None
    organization_id: str | None
    created_at: str | None
    updated_at: str | None
    permissions: NotRequired[list[PermissionOut]]


class RolesPageOut(TypedDict):
    roles: list[RoleOut]
    count: int
    limit: int
    offset: int


class DeletedOut(Message):
    id: str


class RolePermissionsOut(TypedDict):
    role_id: str
    permissions: list[PermissionOut]


class RoleChangedOut(Message):
    role: RoleOut
    permissions: list[PermissionOut]


class UserRolesOut(Message):
    user_id: str
    roles: list[RoleOut]


class SettingOut(TypedDict):
    key: str
    value: Any
    default: Any
    type: str
    description: str
    public: bool
    minimum: int | None
    maximum: int | None
    is_default: bool
    updated_at: str | None
    updated_by: str | None


class SettingsOut(TypedDict):
    settings: list[SettingOut]


class ComponentOut(TypedDict):
    name: str
    status: str
    message: str
    details: dict[str, Any]


class ServicesOut(TypedDict):
    status: str
    version: str
    environment: str
    uptime_seconds: float
    timestamp: str
    services: list[ComponentOut]
