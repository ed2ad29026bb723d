"""The built-in permission catalogue and the roles the first migration creates.

Permissions are ``resource:action`` strings. The catalogue and the system roles here are
what migration 0005 wrote; changing them needs a new migration, not an edit here alone.
"""

from __future__ import annotations

from enum import StrEnum


class Permission(StrEnum):
    USERS_READ = "users:read"
    USERS_WRITE = "users:write"
    USERS_DELETE = "users:delete"
    USERS_LOCK = "users:lock"
    USERS_IMPERSONATE = "users:impersonate"
    ROLES_READ = "roles:read"
    ROLES_WRITE = "roles:write"
    PERMISSIONS_READ = "permissions:read"
    PERMISSIONS_WRITE = "permissions:write"
    AUDIT_READ = "audit:read"
    AUDIT_EXPORT = "audit:export"
    REPORTS_READ = "reports:read"
    SETTINGS_READ = "settings:read"
    SETTINGS_WRITE = "settings:write"
    TENANTS_READ = "tenants:read"
    TENANTS_WRITE = "tenants:write"
    SESSIONS_READ = "sessions:read"
    SESSIONS_REVOKE = "sessions:revoke"
    API_KEYS_MANAGE = "api_keys:manage"
    WEBHOOKS_MANAGE = "webhooks:manage"
    INVITATIONS_MANAGE = "invitations:manage"
    LOCATIONS_READ = "locations:read"
    LOCATIONS_WRITE = "locations:write"


DESCRIPTIONS: dict[Permission, str] = {
    Permission.USERS_READ: "List and view users",
    Permission.USERS_WRITE: "Create and update users, assign their roles",
    Permission.USERS_DELETE: "Delete users",
    Permission.USERS_LOCK: "Lock and unlock users",
    Permission.USERS_IMPERSONATE: "Act as another user for support",
    Permission.ROLES_READ: "List and view roles",
    Permission.ROLES_WRITE: "Create, change and delete roles and their permissions",
    Permission.PERMISSIONS_READ: "List permissions",
    Permission.PERMISSIONS_WRITE: "Create, change and delete custom permissions, grant them",
    Permission.AUDIT_READ: "Read the audit log",
    Permission.AUDIT_EXPORT: "Export the audit log",
    Permission.REPORTS_READ: "Read statistics and reports",
    Permission.SETTINGS_READ: "Read runtime settings",
    Permission.SETTINGS_WRITE: "Change runtime settings",
    Permission.TENANTS_READ: "List and view tenants",
    Permission.TENANTS_WRITE: "Create, change and delete tenants",
    Permission.SESSIONS_READ: "View other users' sessions",
    Permission.SESSIONS_REVOKE: "Revoke other users' sessions",
    Permission.API_KEYS_MANAGE: "Manage API keys",
    Permission.WEBHOOKS_MANAGE: "Manage webhooks",
    Permission.INVITATIONS_MANAGE: "Invite users",
    Permission.LOCATIONS_READ: "List and view locations and who is assigned to them",
    Permission.LOCATIONS_WRITE: "Create, change and delete locations, assign users to them",
}

SUPERADMIN = "superadmin"
ADMIN = "admin"
USER = "user"
SYSTEM_ROLES = (SUPERADMIN, ADMIN, USER)

_READS = {p for p in Permission if p.value.endswith(":read")}

ROLE_DEFAULTS: dict[str, tuple[str, frozenset[Permission]]] = {
    SUPERADMIN: ("Platform administrator: every permission", frozenset(Permission)),
    ADMIN: (
        "Administrator: everything but settings, permissions and impersonation",
        frozenset(Permission)
        - {Permission.SETTINGS_WRITE, Permission.PERMISSIONS_WRITE, Permission.USERS_IMPERSONATE},
    ),
    USER: ("A regular account: its own profile and sessions only", frozenset()),
    # Seed 000's admin levels; not system roles, so they may be changed.
    "admin1": (
        "Administrator level 1: manage users and read everything",
        frozenset(
            _READS | {Permission.USERS_WRITE, Permission.USERS_DELETE, Permission.USERS_LOCK}
        ),
    ),
    "admin2": (
        "Administrator level 2: manage users",
        frozenset({Permission.USERS_READ, Permission.USERS_WRITE, Permission.REPORTS_READ}),
    ),
    "admin3": ("Administrator level 3: read users", frozenset({Permission.USERS_READ})),
}
