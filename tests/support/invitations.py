"""Inviting over REST and reading the invitation mail, for the invitation tests of every
layer (``tests/services/invitations``, ``tests/rest/invitations``, ``tests/graphql/invitations``).
"""

from __future__ import annotations

import uuid
from typing import Any, cast

import httpx
from fastapi import FastAPI
from sqlalchemy import select
from sqlmodel import col

from identity.models import Invitation, Role, UserRole
from tests.support.app import runtime
from tests.support.http import bearer
from tests.support.mail import Mailbox

SUBJECT = "You are invited to join an organization"
LIST = "/v1/invitations"
VALIDATE = "/v1/invitations/public/validate"
ACCEPT = "/v1/invitations/public/accept"
NEW_PASSWORD = "Invited-Passphrase-2026!"


def one(invitation_id: object) -> str:
    return f"{LIST}/{invitation_id}"


async def invite(
    client: httpx.AsyncClient, token: str, email: str, *, status: int = 201, **body: Any
) -> dict[str, Any]:
    """``POST /v1/invitations`` as the holder of ``token``, answered with ``status``."""
    response = await client.post(LIST, json={"email": email, **body}, headers=bearer(token))
    assert response.status_code == status, response.text
    return cast(dict[str, Any], response.json())


async def mailed_token(mailbox: Mailbox, email: str) -> str:
    """The token of the next invitation mail to ``email``."""
    return (await mailbox.next_to(email, SUBJECT)).token


async def invitation_row(app: FastAPI, invitation_id: object) -> Invitation:
    async with runtime(app).database.read() as session:
        found = await session.scalar(
            select(Invitation).where(col(Invitation.id) == uuid.UUID(str(invitation_id)))
        )
    assert found is not None
    return found


def new_account(token: str, **fields: Any) -> dict[str, Any]:
    """An accept body creating an account."""
    return {"token": token, "password": NEW_PASSWORD, **fields}


async def tenant_role(app: FastAPI, tenant_id: uuid.UUID, name: str = "member") -> uuid.UUID:
    """A role of the tenant granting nothing; returns its id."""
    now = runtime(app).clock.now()
    async with runtime(app).database.unit_of_work() as session:
        role = Role(name=name, tenant_id=tenant_id, created_at=now, updated_at=now)
        session.add(role)
        await session.flush()
        return role.id


async def holds(app: FastAPI, user_id: uuid.UUID, role_id: uuid.UUID) -> bool:
    async with runtime(app).database.read() as session:
        return await session.get(UserRole, (user_id, role_id)) is not None
