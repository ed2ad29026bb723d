"""Migration 0009 (item 22): existing identifier keys are re-folded with NFKC case folding.

Accounts made before the change hold lower-cased keys; look-alike accounts among them must
not keep a door open for new duplicates, and an existing collision must not fail the upgrade.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

from sqlalchemy import String, column, insert, select, table

from identity.config import Settings
from identity.db import Database
from identity.migrate import current_revision, downgrade, head_revision, upgrade
from identity.models import User

_MODEL = User.__table__.c  # type: ignore[attr-defined]
# The users table as 0008 left it (the model's has moved on: 0011 replaced role by role_id).
USERS = table(
    "users",
    column("role", String()),
    *(
        column(name, _MODEL[name].type)
        for name in (
            "id",
            "email",
            "email_key",
            "username",
            "username_key",
            "status",
            "is_active",
            "email_verified",
            "must_change_password",
            "failed_login_attempts",
            "created_at",
            "updated_at",
        )
    ),
)


async def test_keys_are_refolded_and_an_old_collision_keeps_both_accounts(
    settings: Settings,
) -> None:
    # given: the database before 0009, with keys as lower() made them
    database = Database(settings)
    start = datetime(2026, 1, 1, tzinfo=UTC)
    accounts = [
        ("\uff21nn@example.com", "\uff21NN"),  # fullwidth: folds to ann
        ("\u017fam@example.com", None),  # long s: folds to sam@example.com
        ("sam@example.com", "sam"),  # already holds the folded key
        ("plain@example.com", "Plain"),
    ]
    ids = [uuid.uuid4() for _ in accounts]
    try:
        await downgrade(database, "0008")
        async with database.engine.begin() as connection:
            for number, ((email, username), user_id) in enumerate(zip(accounts, ids, strict=True)):
                created_at = start + timedelta(minutes=number)
                await connection.execute(
                    insert(USERS).values(
                        id=user_id,
                        email=email,
                        email_key=email.lower(),
                        username=username,
                        username_key=username.lower() if username else None,
                        role="user",
                        status="active",
                        is_active=True,
                        email_verified=False,
                        must_change_password=False,
                        failed_login_attempts=0,
                        created_at=created_at,
                        updated_at=created_at,
                    )
                )

        # when
        await upgrade(database)

        # then
        assert await current_revision(database) == head_revision()
        async with database.read() as session:
            rows = {row.id: row for row in (await session.execute(select(User))).scalars()}
        assert (rows[ids[0]].email_key, rows[ids[0]].username_key) == ("ann@example.com", "ann")
        # sam@ already held the folded key: the long-s account keeps its old one and still works
        assert rows[ids[1]].email_key == "\u017fam@example.com"
        assert rows[ids[2]].email_key == "sam@example.com"
        assert (rows[ids[3]].email_key, rows[ids[3]].username_key) == (
            "plain@example.com",
            "plain",
        )
    finally:
        await database.dispose()
