"""Roles and permissions: the catalogue, system roles, and who holds what.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-21 11:20:00.000000
"""

import uuid
from collections.abc import Sequence
from datetime import UTC, datetime

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Frozen copies of identity/permissions.py as of this revision.
PERMISSIONS = [
    ('users:read', 'List and view users'),
    ('users:write', 'Create and update users, assign their roles'),
    ('users:delete', 'Delete users'),
    ('users:lock', 'Lock and unlock users'),
    ('users:impersonate', 'Act as another user for support'),
    ('roles:read', 'List and view roles'),
    ('roles:write', 'Create, change and delete roles and their permissions'),
    ('permissions:read', 'List permissions'),
    ('permissions:write', 'Create, change and delete custom permissions, grant them'),
    ('audit:read', 'Read the audit log'),
    ('audit:export', 'Export the audit log'),
    ('reports:read', 'Read statistics and reports'),
    ('settings:read', 'Read runtime settings'),
    ('settings:write', 'Change runtime settings'),
    ('tenants:read', 'List and view tenants'),
    ('tenants:write', 'Create, change and delete tenants'),
    ('sessions:read', "View other users' sessions"),
    ('sessions:revoke', "Revoke other users' sessions"),
    ('api_keys:manage', 'Manage API keys'),
    ('webhooks:manage', 'Manage webhooks'),
    ('invitations:manage', 'Invite users'),
]
ROLES = [
    ('superadmin', 'Platform administrator: every permission', True, ['api_keys:manage', 'audit:export', 'audit:read', 'invitations:manage', 'permissions:read', 'permissions:write', 'reports:read', 'roles:read', 'roles:write', 'sessions:read', 'sessions:revoke', 'settings:read', 'settings:write', 'tenants:read', 'tenants:write', 'users:delete', 'users:impersonate', 'users:lock', 'users:read', 'users:write', 'webhooks:manage']),
    ('admin', 'Administrator: everything but settings, permissions and impersonation', True, ['api_keys:manage', 'audit:export', 'audit:read', 'invitations:manage', 'permissions:read', 'reports:read', 'roles:read', 'roles:write', 'sessions:read', 'sessions:revoke', 'settings:read', 'tenants:read', 'tenants:write', 'users:delete', 'users:lock', 'users:read', 'users:write', 'webhooks:manage']),
    ('user', 'A regular account: its own profile and sessions only', True, []),
    ('admin1', 'Administrator level 1: manage users and read everything', False, ['audit:read', 'permissions:read', 'reports:read', 'roles:read', 'sessions:read', 'settings:read', 'tenants:read', 'users:delete', 'users:lock', 'users:read', 'users:write']),
    ('admin2', 'Administrator level 2: manage users', False, ['reports:read', 'users:read', 'users:write']),
    ('admin3', 'Administrator level 3: read users', False, ['users:read']),
]


def upgrade() -> None:
    permissions = op.create_table(
        "permissions",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("name", sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
        sa.Column("resource", sqlmodel.sql.sqltypes.AutoString(length=50), nullable=False),
        sa.Column("action", sqlmodel.sql.sqltypes.AutoString(length=50), nullable=False),
        sa.Column("description", sqlmodel.sql.sqltypes.AutoString(length=500), nullable=True),
        sa.Column("is_system", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("name"),
    )
    op.create_index("ix_permissions_resource", "permissions", ["resource"])
    roles = op.create_table(
        "roles",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("name", sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
        sa.Column("description", sqlmodel.sql.sqltypes.AutoString(length=500), nullable=True),
        sa.Column("is_active", sa.Boolean(), nullable=False),
        sa.Column("is_system", sa.Boolean(), nullable=False),
        sa.Column("tenant_id", sa.Uuid(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("name", "tenant_id", name="uq_roles_name_tenant"),
    )
    op.create_index("ix_roles_name", "roles", ["name"])
    op.create_index("ix_roles_tenant_id", "roles", ["tenant_id"])
    role_permissions = op.create_table(
        "role_permissions",
        sa.Column("role_id", sa.Uuid(), nullable=False),
        sa.Column("permission_id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(["permission_id"], ["permissions.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["role_id"], ["roles.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("role_id", "permission_id"),
    )
    op.create_table(
        "user_roles",
        sa.Column("user_id", sa.Uuid(), nullable=False),
        sa.Column("role_id", sa.Uuid(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["role_id"], ["roles.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("user_id", "role_id"),
    )
    op.create_table(
        "user_permissions",
        sa.Column("user_id", sa.Uuid(), nullable=False),
        sa.Column("permission_id", sa.Uuid(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["permission_id"], ["permissions.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("user_id", "permission_id"),
    )

    now = datetime.now(UTC)
    ids = {name: uuid.uuid4() for name, _ in PERMISSIONS}
    op.bulk_insert(
        permissions,
        [
            {
                "id": ids[name],
                "name": name,
                "resource": name.split(":")[0],
                "action": name.split(":")[1],
                "description": description,
                "is_system": True,
                "created_at": now,
                "updated_at": now,
            }
            for name, description in PERMISSIONS
        ],
    )
    grants = []
    role_rows = []
    for name, description, is_system, granted in ROLES:
        role_id = uuid.uuid4()
        role_rows.append(
            {
                "id": role_id,
                "name": name,
                "description": description,
                "is_active": True,
                "is_system": is_system,
                "tenant_id": None,
                "created_at": now,
                "updated_at": now,
            }
        )
        grants += [{"role_id": role_id, "permission_id": ids[p]} for p in granted]
    op.bulk_insert(roles, role_rows)
    op.bulk_insert(role_permissions, grants)


def downgrade() -> None:
    op.drop_table("user_permissions")
    op.drop_table("user_roles")
    op.drop_table("role_permissions")
    op.drop_index("ix_roles_tenant_id", table_name="roles")
    op.drop_index("ix_roles_name", table_name="roles")
    op.drop_table("roles")
    op.drop_index("ix_permissions_resource", table_name="permissions")
    op.drop_table("permissions")
