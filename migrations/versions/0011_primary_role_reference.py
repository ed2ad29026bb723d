"""The primary role is a reference: ``users.role_id`` (foreign key to roles.id) replaces the
role name in ``users.role``.

Each account's ``role_id`` is the global role (``tenant_id`` NULL) its ``role`` named. An
account whose name matches no role (none should: the name was checked when set) takes the
``user`` role, with a warning naming it. ``ON DELETE RESTRICT``: a role that is somebody's
primary role cannot be deleted, as the roles service already refused. Downgrade writes the
names back.

On SQLite batch mode rebuilds ``users``; ``identity.migrate.upgrade`` switches foreign keys
off around the migration, so dropping the old table does not cascade to sessions, roles held
and grants.

Revision ID: 0011
Revises: 0010
Create Date: 2026-11-30 08:00:00.000000
"""

import logging
from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

log = logging.getLogger("alembic.runtime.migration")

FOREIGN_KEY = "fk_users_role_id_roles"

users = sa.table(
    "users",
    sa.column("id", sa.Uuid()),
    sa.column("role", sa.String()),
    sa.column("role_id", sa.Uuid()),
)
roles = sa.table(
    "roles",
    sa.column("id", sa.Uuid()),
    sa.column("name", sa.String()),
    sa.column("tenant_id", sa.Uuid()),
)


def _global_role(name_of: sa.ColumnElement[str]) -> sa.ScalarSelect[object]:
    return (
        sa.select(roles.c.id)
        .where(roles.c.name == name_of, roles.c.tenant_id.is_(None))
        .scalar_subquery()
    )


def upgrade() -> None:
    with op.batch_alter_table("users") as batch:
        batch.add_column(sa.Column("role_id", sa.Uuid(), nullable=True))
    connection = op.get_bind()
    connection.execute(sa.update(users).values(role_id=_global_role(users.c.role)))
    orphans = connection.execute(
        sa.select(users.c.id, users.c.role).where(users.c.role_id.is_(None))
    ).all()
    for user_id, name in orphans:
        log.warning("users.role of %s names no role (%r): it takes the user role", user_id, name)
    if orphans:
        connection.execute(
            sa.update(users)
            .where(users.c.role_id.is_(None))
            .values(role_id=_global_role(sa.literal("user")))
        )
    with op.batch_alter_table("users") as batch:
        batch.alter_column("role_id", existing_type=sa.Uuid(), nullable=False)
        batch.create_foreign_key(FOREIGN_KEY, "roles", ["role_id"], ["id"], ondelete="RESTRICT")
        batch.create_index(batch.f("ix_users_role_id"), ["role_id"], unique=False)
        batch.drop_index(batch.f("ix_users_role"))
        batch.drop_column("role")


def downgrade() -> None:
    with op.batch_alter_table("users") as batch:
        batch.add_column(
            sa.Column("role", sqlmodel.sql.sqltypes.AutoString(length=100), nullable=True)
        )
    names = sa.select(roles.c.name).where(roles.c.id == users.c.role_id).scalar_subquery()
    op.get_bind().execute(sa.update(users).values(role=names))
    with op.batch_alter_table("users") as batch:
        batch.alter_column(
            "role", existing_type=sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False
        )
        batch.create_index(batch.f("ix_users_role"), ["role"], unique=False)
        batch.drop_index(batch.f("ix_users_role_id"))
        batch.drop_constraint(FOREIGN_KEY, type_="foreignkey")
        batch.drop_column("role_id")
