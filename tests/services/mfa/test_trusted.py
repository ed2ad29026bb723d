"""Trusted devices in the service: a token is recognised only while it is this user's,
alive and unrevoked; revoke_all ends every live trust of one user and nobody else's."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta

import httpx
from fastapi import FastAPI
from sqlalchemy import select
from sqlmodel import col

from identity.models import AuditEvent
from identity.models.mfa import TrustedDevice
from identity.security.secrets import hash_token, new_token
from identity.services.mfa import trusted
from tests.factories import add_user
from tests.support.app import runtime


async def _trust(
    app: FastAPI, user_id: uuid.UUID, *, expires_at: datetime, revoked_at: datetime | None = None
) -> str:
    token = new_token()
    now = runtime(app).clock.now()
    async with runtime(app).database.unit_of_work() as session:
        session.add(
            TrustedDevice(
                user_id=user_id,
                token_hash=hash_token(token),
                device_key=str(uuid.uuid4()),
                created_at=now,
                expires_at=expires_at,
                revoked_at=revoked_at,
            )
        )
    return token


async def _recognizes(app: FastAPI, user_id: uuid.UUID, token: str | None, now: datetime) -> bool:
    async with runtime(app).database.unit_of_work() as session:
        return await trusted.recognizes(session, user_id=user_id, token=token, now=now)


async def test_a_live_token_is_recognised_and_touched(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    user_id = await add_user(app)
    now = runtime(app).clock.now()
    token = await _trust(app, user_id, expires_at=now + timedelta(days=30))
    assert await _recognizes(app, user_id, token, now)
    async with runtime(app).database.read() as session:
        row = (await session.scalars(select(TrustedDevice))).one()
        assert row.last_used_at == now


async def test_expiry_at_the_second(app: FastAPI, client: httpx.AsyncClient) -> None:
    user_id = await add_user(app)
    expires_at = runtime(app).clock.now().replace(microsecond=0) + timedelta(days=1)
    token = await _trust(app, user_id, expires_at=expires_at)
    assert await _recognizes(app, user_id, token, expires_at - timedelta(seconds=1))
    assert not await _recognizes(app, user_id, token, expires_at)
    assert not await _recognizes(app, user_id, token, expires_at + timedelta(seconds=1))


async def test_another_users_revoked_forged_and_malformed_tokens_are_not(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    owner = await add_user(app)
    intruder = await add_user(app)
    now = runtime(app).clock.now()
    token = await _trust(app, owner, expires_at=now + timedelta(days=30))
    revoked = await _trust(app, owner, expires_at=now + timedelta(days=30), revoked_at=now)
    assert not await _recognizes(app, intruder, token, now)
    assert not await _recognizes(app, owner, revoked, now)
    for forged in (None, "", new_token(), token + "x", token.upper(), "x" * 10_000, "\ud800"):
        assert not await _recognizes(app, owner, forged, now)
    async with runtime(app).database.read() as session:
        touched = await session.scalars(
            select(TrustedDevice).where(col(TrustedDevice.last_used_at).is_not(None))
        )
        assert touched.all() == []


async def test_revoke_all_ends_every_live_trust_of_one_user_only(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    owner = await add_user(app)
    other = await add_user(app)
    now = runtime(app).clock.now()
    tokens = [await _trust(app, owner, expires_at=now + timedelta(days=days)) for days in (1, 90)]
    await _trust(app, owner, expires_at=now - timedelta(seconds=1))
    kept = await _trust(app, other, expires_at=now + timedelta(days=30))
    async with runtime(app).database.unit_of_work() as session:
        count = await trusted.revoke_all(session, user_id=owner, now=now, reason="password_changed")
    assert count == 2
    for token in tokens:
        assert not await _recognizes(app, owner, token, now)
    assert await _recognizes(app, other, kept, now)
    async with runtime(app).database.unit_of_work() as session:
        again = await trusted.revoke_all(session, user_id=owner, now=now, reason="again")
    assert again == 0
    async with runtime(app).database.read() as session:
        events = (
            await session.scalars(
                select(AuditEvent).where(col(AuditEvent.event_type) == "mfa.device.trust_revoked")
            )
        ).all()
    assert [
        (event.subject_id, event.details["reason"], event.details["revoked"]) for event in events
    ] == [(owner, "password_changed", 2)]
