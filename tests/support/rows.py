"""Reading rows as stored: accounts, roles and permissions by name."""

from __future__ import annotations

import uuid

from fastapi import FastAPI
from sqlalchemy import select
from sqlmodel import col

from identity.models import PermissionRow, Role, User
from tests.support.app import runtime


async def user_row(app: FastAPI, user_id: uuid.UUID) -> User | None:
    async with runtime(app).database.read() as session:
        return await session.get(User, user_id)


async def users(app: FastAPI) -> list[User]:
    """Every stored account but the super-admins tests make."""
    async with runtime(app).database.read() as session:
        rows = (await session.scalars(select(User))).all()
    return [row for row in rows if row.role != "superadmin"]


async def role_id(app: FastAPI, name: str) -> uuid.UUID:
    async with runtime(app).database.read() as session:
        found = await session.scalar(select(col(Role.id)).where(col(Role.name) == name))
    assert found is not None, name
    return found


async def permission_id(app: FastAPI, name: str) -> uuid.UUID:
    async with runtime(app).database.read() as session:
        found = await session.scalar(
            select(col(PermissionRow.id)).where(col(PermissionRow.name) == name)
        )
    assert found is not None, name
    return found


async def all_permissions(app: FastAPI) -> set[str]:
    async with runtime(app).database.read() as session:
        return set((await session.scalars(select(col(PermissionRow.name)))).all())
