"""One active signing key: a unique partial index over the keys not retired.

Two replicas starting together on an empty key table each created a key and signed with it;
the other replica refused those tokens until its throttled reload (5 s). The index makes the
second insert fail, and the key ring then reads the first one. Keys already doubled by that
race are retired here, the newest kept; the retired ones verify for one more day, longer
than any access token lives.

Revision ID: 0015
Revises: 0014
Create Date: 2026-11-30 20:20:00.000000
"""

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

import sqlalchemy as sa
from alembic import op

revision: str = "0015"
down_revision: str | None = "0014"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

ACTIVE = sa.text("retired_at IS NULL")
INDEX = "uq_signing_keys_one_active"


def upgrade() -> None:
    keys = sa.table(
        "signing_keys",
        sa.column("kid", sa.String),
        sa.column("created_at", sa.DateTime(timezone=True)),
        sa.column("retired_at", sa.DateTime(timezone=True)),
        sa.column("expires_at", sa.DateTime(timezone=True)),
    )
    connection = op.get_bind()
    active = connection.execute(
        sa.select(keys.c.kid).where(ACTIVE).order_by(keys.c.created_at.desc(), keys.c.kid)
    ).scalars()
    doubled = list(active)[1:]
    if doubled:
        now = datetime.now(UTC)
        if connection.dialect.name == "sqlite":  # naive UTC there, as UTCDateTime stores it
            now = now.replace(tzinfo=None)
        connection.execute(
            keys.update()
            .where(keys.c.kid.in_(doubled))
            .values(retired_at=now, expires_at=now + timedelta(days=1))
        )
    op.create_index(
        INDEX,
        "signing_keys",
        [sa.text("(retired_at IS NULL)")],
        unique=True,
        postgresql_where=ACTIVE,
        sqlite_where=ACTIVE,
    )


def downgrade() -> None:
    op.drop_index(INDEX, table_name="signing_keys")
