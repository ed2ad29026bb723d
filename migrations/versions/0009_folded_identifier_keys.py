"""Email and username keys folded with NFKC case folding instead of lower().

Identifiers that look the same (fullwidth letters, the long s, composed or combining
accents, case) now share one key, so the unique constraints on ``users.email_key`` and
``users.username_key`` refuse them. ASCII keys do not change. Where two existing accounts fold
to the same key, the account met first (oldest) takes it and the other keeps its old key (both log
in; a warning names them), since a migration must not merge or rename accounts.

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-30 05:30:00.000000
"""

import logging
import unicodedata
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

log = logging.getLogger("alembic.runtime.migration")

users = sa.table(
    "users",
    sa.column("id", sa.Uuid()),
    sa.column("email", sa.String()),
    sa.column("email_key", sa.String()),
    sa.column("username", sa.String()),
    sa.column("username_key", sa.String()),
    sa.column("created_at", sa.DateTime(timezone=True)),
)


def _fold(value: str) -> str:
    # Frozen copy of identity.services.accounts.identifier_key: a migration must not change
    # when the application's code does.
    return unicodedata.normalize("NFKC", unicodedata.normalize("NFKC", value.strip()).casefold())


def _refold(column: str, source: str, fold: bool) -> None:
    connection = op.get_bind()
    key_column = users.c[column]
    rows = connection.execute(
        sa.select(users.c.id, users.c[source], key_column).order_by(users.c.created_at, users.c.id)
    ).all()
    taken = {row[2] for row in rows if row[2] is not None}
    for user_id, value, key in rows:
        if value is None or key is None:
            continue
        new_key = _fold(value) if fold else value.strip().lower()
        if new_key == key:
            continue
        if new_key in taken:
            log.warning("users.%s of %s stays %r: %r is taken", column, user_id, key, new_key)
            continue
        connection.execute(sa.update(users).where(users.c.id == user_id).values({column: new_key}))
        taken.discard(key)
        taken.add(new_key)


def upgrade() -> None:
    _refold("email_key", "email", fold=True)
    _refold("username_key", "username", fold=True)


def downgrade() -> None:
    _refold("email_key", "email", fold=False)
    _refold("username_key", "username", fold=False)
