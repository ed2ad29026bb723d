"""Email-change tokens bound to a session and a password; fixed-window mail quotas.

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-30 05:20:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("one_time_tokens", schema=None) as batch_op:
        batch_op.add_column(sa.Column("session_id", sa.Uuid(), nullable=True))
        batch_op.add_column(
            sa.Column(
                "password_fingerprint",
                sqlmodel.sql.sqltypes.AutoString(length=64),
                nullable=True,
            )
        )
    op.create_table(
        "mail_quotas",
        sa.Column("key_hash", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("window_started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("count", sa.Integer(), nullable=False),
        sa.Column("last_sent_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("key_hash"),
    )


def downgrade() -> None:
    op.drop_table("mail_quotas")
    with op.batch_alter_table("one_time_tokens", schema=None) as batch_op:
        batch_op.drop_column("password_fingerprint")
        batch_op.drop_column("session_id")
