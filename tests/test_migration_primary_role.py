"""Migration 0011: the primary role becomes a reference (``users.role_id``) and every
account keeps the role its name gave it; nothing else is lost on the way (on SQLite the
rebuilt users table must not take sessions, roles held and grants with it)."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

from sqlalchemy import String, column, insert, select, table
from sqlmodel import col

from identity.config import Settings
from identity.db import Database
from identity.migrate import downgrade, upgrade
from identity.models import AuthSession, Role, User, UserRole

_USER = User.__table__.c  # type: ignore[attr-defined]
_SESSION = AuthSession.__table__.c  # type: ignore[attr-defined]
USERS_0010 = table(
    "users",
    column("role", String()),
    *(
        column(name, _USER[name].type)
        for name in (
            "id",
            "email",
            "email_key",
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
SESSIONS = table(
    "sessions",
    *(
        column(name, _SESSION[name].type)
        for name in ("id", "user_id", "auth_method", "created_at", "last_used_at", "expires_at")
    ),
)


async def test_role_names_become_references_and_back(settings: Settings) -> None:
    database = Database(settings)
    now = datetime(2026, 1, 1, tzinfo=UTC)
    names = {uuid.uuid4(): name for name in ("user", "admin1", "superadmin", "gone")}
    try:
        # given: the database before 0011, accounts naming their primary role, one session
        # and one extra role
        await downgrade(database, "0010")
        async with database.engine.begin() as connection:
            for number, (user_id, name) in enumerate(names.items()):
                await connection.execute(
                    insert(USERS_0010).values(
                        id=user_id,
                        email=f"u{number}@example.com",
                        email_key=f"u{number}@example.com",
                        role=name,
                        status="active",
                        is_active=True,
                        email_verified=False,
                        must_change_password=False,
                        failed_login_attempts=0,
                        created_at=now,
                        updated_at=now,
                    )
                )
            first = next(iter(names))
            await connection.execute(
                insert(SESSIONS).values(
                    id=uuid.uuid4(),
                    user_id=first,
                    auth_method="password",
                    created_at=now,
                    last_used_at=now,
                    expires_at=now + timedelta(days=1),
                )
            )
            admin3 = (
                await connection.execute(select(col(Role.id)).where(col(Role.name) == "admin3"))
            ).scalar_one()
            await connection.execute(
                insert(UserRole).values(user_id=first, role_id=admin3, created_at=now)
            )

        # when
        await upgrade(database)

        # then: each account holds the role it named (an unknown name: the user role)
        async with database.read() as session:
            users = {user.id: user for user in (await session.scalars(select(User))).all()}
            role_names = dict((await session.execute(select(col(Role.id), col(Role.name)))).all())
            kept_sessions = (await session.scalars(select(col(AuthSession.user_id)))).all()
            kept_roles = (await session.execute(select(UserRole))).scalars().all()
        expected = {user_id: "user" if name == "gone" else name for user_id, name in names.items()}
        assert {user_id: users[user_id].role for user_id in names} == expected
        assert {user_id: role_names[users[user_id].role_id] for user_id in names} == expected
        assert list(kept_sessions) == [first]
        assert [(row.user_id, row.role_id) for row in kept_roles] == [(first, admin3)]

        # and: downgrading writes the names back
        await downgrade(database, "0010")
        async with database.engine.begin() as connection:
            rows = await connection.execute(select(USERS_0010.c.id, USERS_0010.c.role))
            assert {row[0]: row[1] for row in rows} == expected
        await upgrade(database)
    finally:
        await database.dispose()
