"""Avatar URLs up to 2,048 characters (the https URL rule), from 2,000.

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-30 06:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("users") as batch:
        batch.alter_column(
            "avatar_url", existing_type=sa.String(length=2000), type_=sa.String(length=2048)
        )


def downgrade() -> None:
    with op.batch_alter_table("users") as batch:
        batch.alter_column(
            "avatar_url", existing_type=sa.String(length=2048), type_=sa.String(length=2000)
        )
