"""Tenants (organizations), memberships, locations, invitations; the tenant of roles, sessions
and audit events; the locations permissions.

``roles.tenant_id`` becomes a reference to ``tenants`` (no row has one yet): deleting a tenant
deletes its roles. ``users.primary_tenant_id`` is seed 004's ``organization_id``. On SQLite
batch mode rebuilds ``users``, ``roles`` and ``sessions`` with foreign keys off (see 0011).

Revision ID: 0012
Revises: 0011
Create Date: 2026-11-30 11:00:00.000000
"""

import uuid
from collections.abc import Sequence
from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

from identity.models.types import UTCDateTime

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Frozen copies of identity/permissions.py as of this revision.
PERMISSIONS = [
    ("locations:read", "List and view locations and who is assigned to them"),
    ("locations:write", "Create, change and delete locations, assign users to them"),
]
GRANTED = {
    "admin": ["locations:read", "locations:write"],
    "admin1": ["locations:read"],
}

permissions = sa.table(
    "permissions",
    sa.column("id", sa.Uuid()),
    sa.column("name", sa.String()),
    sa.column("resource", sa.String()),
    sa.column("action", sa.String()),
    sa.column("description", sa.String()),
    sa.column("is_system", sa.Boolean()),
    sa.column("created_at", UTCDateTime()),
    sa.column("updated_at", UTCDateTime()),
)
roles = sa.table(
    "roles", sa.column("id", sa.Uuid()), sa.column("name", sa.String()), sa.column("tenant_id")
)
role_permissions = sa.table(
    "role_permissions", sa.column("role_id", sa.Uuid()), sa.column("permission_id", sa.Uuid())
)
user_permissions = sa.table("user_permissions", sa.column("permission_id", sa.Uuid()))
user_roles = sa.table("user_roles", sa.column("role_id", sa.Uuid()))


def upgrade() -> None:
    op.create_table(
        "tenants",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("slug", sa.String(length=63), nullable=False),
        sa.Column("description", sa.String(length=1000), nullable=True),
        sa.Column("max_users", sa.Integer(), nullable=True),
        sa.Column("is_active", sa.Boolean(), nullable=False),
        sa.Column("allow_self_registration", sa.Boolean(), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("slug"),
    )
    op.create_table(
        "tenant_members",
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("user_id", sa.Uuid(), nullable=False),
        sa.Column("joined_at", UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["tenant_id"], ["tenants.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("tenant_id", "user_id"),
    )
    op.create_index("ix_tenant_members_user_id", "tenant_members", ["user_id"])
    op.create_table(
        "locations",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("code", sa.String(length=50), nullable=False),
        sa.Column("description", sa.String(length=1000), nullable=True),
        sa.Column("address", sa.String(length=500), nullable=True),
        sa.Column("city", sa.String(length=100), nullable=True),
        sa.Column("state", sa.String(length=100), nullable=True),
        sa.Column("country", sa.String(length=100), nullable=True),
        sa.Column("postal_code", sa.String(length=20), nullable=True),
        sa.Column("is_active", sa.Boolean(), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["tenant_id"], ["tenants.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("tenant_id", "code", name="uq_locations_tenant_code"),
    )
    op.create_index("ix_locations_tenant_id", "locations", ["tenant_id"])
    op.create_table(
        "user_locations",
        sa.Column("user_id", sa.Uuid(), nullable=False),
        sa.Column("location_id", sa.Uuid(), nullable=False),
        sa.Column("is_primary", sa.Boolean(), nullable=False),
        sa.Column("assigned_at", UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["location_id"], ["locations.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("user_id", "location_id"),
    )
    op.create_index("ix_user_locations_location_id", "user_locations", ["location_id"])
    op.create_table(
        "invitations",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("email", sa.String(length=320), nullable=False),
        sa.Column("email_key", sa.String(length=320), nullable=False),
        sa.Column("role_id", sa.Uuid(), nullable=True),
        sa.Column("message", sa.String(length=1000), nullable=True),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("invited_by", sa.Uuid(), nullable=True),
        sa.Column("resend_count", sa.Integer(), nullable=False),
        sa.Column("last_sent_at", UTCDateTime(), nullable=False),
        sa.Column("expires_at", UTCDateTime(), nullable=False),
        sa.Column("accepted_at", UTCDateTime(), nullable=True),
        sa.Column("accepted_by", sa.Uuid(), nullable=True),
        sa.Column("revoked_at", UTCDateTime(), nullable=True),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["tenant_id"], ["tenants.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["role_id"], ["roles.id"], ondelete="SET NULL"),
        sa.ForeignKeyConstraint(["invited_by"], ["users.id"], ondelete="SET NULL"),
        sa.ForeignKeyConstraint(["accepted_by"], ["users.id"], ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("token_hash"),
    )
    op.create_index("ix_invitations_tenant_id", "invitations", ["tenant_id"])
    op.create_index("ix_invitations_status", "invitations", ["status"])
    op.create_index(
        "uq_invitations_pending_address",
        "invitations",
        ["tenant_id", "email_key"],
        unique=True,
        sqlite_where=sa.text("status = 'pending'"),
        postgresql_where=sa.text("status = 'pending'"),
    )
    with op.batch_alter_table("users") as batch:
        batch.add_column(sa.Column("primary_tenant_id", sa.Uuid(), nullable=True))
        batch.create_foreign_key(
            "fk_users_primary_tenant_id_tenants",
            "tenants",
            ["primary_tenant_id"],
            ["id"],
            ondelete="SET NULL",
        )
        batch.create_index("ix_users_primary_tenant_id", ["primary_tenant_id"])
    with op.batch_alter_table("roles") as batch:
        batch.create_foreign_key(
            "fk_roles_tenant_id_tenants", "tenants", ["tenant_id"], ["id"], ondelete="CASCADE"
        )
    with op.batch_alter_table("sessions") as batch:
        batch.add_column(sa.Column("tenant_id", sa.Uuid(), nullable=True))
        batch.create_foreign_key(
            "fk_sessions_tenant_id_tenants", "tenants", ["tenant_id"], ["id"], ondelete="SET NULL"
        )
        batch.create_index("ix_sessions_tenant_id", ["tenant_id"])
    op.add_column("audit_events", sa.Column("tenant_id", sa.Uuid(), nullable=True))
    op.create_index("ix_audit_events_tenant_id", "audit_events", ["tenant_id"])
    _add_permissions()


def _add_permissions() -> None:
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
    connection = op.get_bind()
    for role, granted in GRANTED.items():
        role_id = connection.scalar(
            sa.select(roles.c.id).where(roles.c.name == role, roles.c.tenant_id.is_(None))
        )
        if role_id is not None:
            op.bulk_insert(
                role_permissions, [{"role_id": role_id, "permission_id": ids[p]} for p in granted]
            )


def downgrade() -> None:
    names = [name for name, _ in PERMISSIONS]
    ids = sa.select(permissions.c.id).where(permissions.c.name.in_(names))
    op.execute(sa.delete(role_permissions).where(role_permissions.c.permission_id.in_(ids)))
    op.execute(sa.delete(user_permissions).where(user_permissions.c.permission_id.in_(ids)))
    op.execute(sa.delete(permissions).where(permissions.c.name.in_(names)))
    op.drop_index("ix_audit_events_tenant_id", table_name="audit_events")
    op.drop_column("audit_events", "tenant_id")
    with op.batch_alter_table("sessions") as batch:
        batch.drop_index("ix_sessions_tenant_id")
        batch.drop_constraint("fk_sessions_tenant_id_tenants", type_="foreignkey")
        batch.drop_column("tenant_id")
    # Tenant roles go with the tenants (foreign keys may be off: their rows first).
    tenant_roles = sa.select(roles.c.id).where(roles.c.tenant_id.is_not(None))
    op.execute(sa.delete(role_permissions).where(role_permissions.c.role_id.in_(tenant_roles)))
    op.execute(sa.delete(user_roles).where(user_roles.c.role_id.in_(tenant_roles)))
    op.execute(sa.delete(roles).where(roles.c.tenant_id.is_not(None)))
    with op.batch_alter_table("roles") as batch:
        batch.drop_constraint("fk_roles_tenant_id_tenants", type_="foreignkey")
    with op.batch_alter_table("users") as batch:
        batch.drop_index("ix_users_primary_tenant_id")
        batch.drop_constraint("fk_users_primary_tenant_id_tenants", type_="foreignkey")
        batch.drop_column("primary_tenant_id")
    op.drop_table("invitations")
    op.drop_table("user_locations")
    op.drop_table("locations")
    op.drop_table("tenant_members")
    op.drop_table("tenants")
