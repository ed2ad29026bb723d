"""Sign-up links looked up by address: a partial index on lower(email) where user_id IS NULL.

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-21 14:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

UNBOUND = sa.text("user_id IS NULL")


def upgrade() -> None:
    op.create_index(
        "ix_one_time_tokens_sign_up_email",
        "one_time_tokens",
        [sa.text("lower(email)")],
        postgresql_where=UNBOUND,
        sqlite_where=UNBOUND,
    )


def downgrade() -> None:
    op.drop_index("ix_one_time_tokens_sign_up_email", table_name="one_time_tokens")
