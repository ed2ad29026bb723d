"""Accounts with MFA on and sessions that signed in with a second factor, for the tests of
trusted devices (built directly, so they do not depend on the login step's routes)."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass

from fastapi import FastAPI
from sqlalchemy import select
from sqlmodel import col

from identity.models import AuditEvent, User
from identity.models.mfa import TrustedDevice, UserMfa
from identity.principal import RequestMeta
from identity.security import otp
from identity.services.tokens import access_token, open_session
from tests.factories import ACCOUNT_PASSWORD, add_user
from tests.support.app import runtime
from tests.support.http import bearer

SECOND_FACTOR = ("pwd", "otp", "mfa")


@dataclass(frozen=True, slots=True)
class Signed:
    """One session of an account: its user, session and access token."""

    user_id: uuid.UUID
    session_id: uuid.UUID
    token: str

    @property
    def headers(self) -> dict[str, str]:
        return bearer(self.token)


async def sign_in(
    app: FastAPI,
    user_id: uuid.UUID,
    *,
    device_id: str | None = None,
    amr: Sequence[str] = SECOND_FACTOR,
) -> Signed:
    """A new session of the account, as a login with ``amr`` would open it."""
    deps = runtime(app).deps
    async with deps.database.unit_of_work() as session:
        user = await session.get(User, user_id)
        assert user is not None
        auth_session = open_session(
            session,
            deps,
            user=user,
            meta=RequestMeta(user_agent="pytest"),
            device_info={"device_id": device_id, "platform": "test"} if device_id else None,
            auth_method="password",
        )
        auth_session.amr = list(amr)
    token = (await access_token(deps, user=user, auth_session=auth_session)).token
    return Signed(user_id, auth_session.id, token)


async def mfa_account(
    app: FastAPI,
    email: str | None = None,
    *,
    device_id: str | None = None,
    amr: Sequence[str] = SECOND_FACTOR,
    mfa: bool = True,
) -> Signed:
    """An account with a password (``ACCOUNT_PASSWORD``) and TOTP on, signed in."""
    deps = runtime(app).deps
    password_hash = await deps.hasher.hash(ACCOUNT_PASSWORD)
    user_id = await add_user(app, email, password_hash=password_hash, email_verified=True)
    if mfa:
        now = deps.clock.now()
        sealed = otp.secret_sealer(deps.settings).seal(otp.new_totp_secret())
        async with deps.database.unit_of_work() as session:
            session.add(
                UserMfa(user_id=user_id, totp_secret=sealed, totp_enabled_at=now, updated_at=now)
            )
    return await sign_in(app, user_id, device_id=device_id, amr=amr)


async def trust_rows(app: FastAPI, user_id: uuid.UUID) -> list[TrustedDevice]:
    async with runtime(app).database.read() as session:
        found = await session.scalars(
            select(TrustedDevice)
            .where(col(TrustedDevice.user_id) == user_id)
            .order_by(col(TrustedDevice.created_at))
        )
        return list(found.all())


async def audit_events(app: FastAPI, user_id: uuid.UUID, *names: str) -> list[AuditEvent]:
    async with runtime(app).database.read() as session:
        found = await session.scalars(
            select(AuditEvent)
            .where(col(AuditEvent.subject_id) == user_id, col(AuditEvent.event_type).in_(names))
            .order_by(col(AuditEvent.created_at))
        )
        return list(found.all())
