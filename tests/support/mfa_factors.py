"""Accounts with second factors, for the tests of MFA's factors (services, REST, GraphQL).

``signed_in`` makes an account with a password and a session of it (as a login would open),
and answers both the service-level principal and the access token of that session.
``with_totp`` enrols TOTP through the service and answers the secret and the backup codes.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import partial
from typing import Any

from fastapi import FastAPI
from sqlalchemy import select
from sqlmodel import col

from identity.models import AuthSession, User
from identity.models.mfa import BackupCode, UserMfa
from identity.principal import HeldPermissions, Principal, RequestMeta
from identity.security import otp
from identity.services import authorization
from identity.services.mfa import totp
from identity.services.tokens import access_token, open_session
from tests.factories import ACCOUNT_PASSWORD, add_user
from tests.support.app import runtime
from tests.support.clocks import MovableClock
from tests.support.http import bearer

NOON = datetime(2026, 11, 30, 12, 0, 10, tzinfo=UTC)
"""Ten seconds into a TOTP step: a test has twenty seconds before the next one."""


@dataclass(frozen=True, slots=True)
class Account:
    principal: Principal
    token: str

    @property
    def id(self) -> uuid.UUID:
        return self.principal.user_id

    @property
    def headers(self) -> dict[str, str]:
        return bearer(self.token)


async def principal_of(app: FastAPI, user_id: uuid.UUID, session_id: uuid.UUID) -> Principal:
    async with runtime(app).database.read() as session:
        user = await session.get(User, user_id)
    assert user is not None
    return Principal(
        user=user,
        user_id=user.id,
        session_id=session_id,
        email=user.email,
        role=user.role,
        token_id="test",
        meta=RequestMeta(ip_address="203.0.113.7"),
        held=HeldPermissions(partial(authorization.holding_of, runtime(app).deps, user.id, None)),
    )


async def signed_in(
    app: FastAPI, email: str | None = None, *, password: str = ACCOUNT_PASSWORD, **fields: Any
) -> Account:
    """An account whose password is ``password``, signed in: a new session, just now."""
    deps = runtime(app).deps
    password_hash = await deps.hasher.hash(password)
    user_id = await add_user(app, email, password_hash=password_hash, **fields)
    async with deps.database.unit_of_work() as session:
        user = await session.get(User, user_id)
        assert user is not None
        auth_session = open_session(
            session, deps, user=user, meta=RequestMeta(), device_info=None, auth_method="password"
        )
    token = (await access_token(deps, user=user, auth_session=auth_session)).token
    return Account(await principal_of(app, user_id, auth_session.id), token)


async def with_totp(app: FastAPI, account: Account) -> tuple[str, list[str]]:
    """Enrol TOTP for ``account`` now; answers the secret and the ten backup codes."""
    deps = runtime(app).deps
    enrolled = await totp.setup(deps, principal=account.principal)
    code = otp.totp_code(enrolled.secret, otp.step_at(deps.clock.now()))
    codes = await totp.enable(deps, principal=account.principal, code=code)
    return enrolled.secret, codes


def steady(clock: MovableClock) -> datetime:
    """Move ``clock`` back to ten seconds into a TOTP step (never ahead of the real time, so
    access tokens issued afterwards are not from the future); answers that moment."""
    now = clock.now()
    start = otp.step_at(now) * otp.STEP_SECONDS + 10
    moment = datetime.fromtimestamp(start, UTC)
    if moment > now:
        moment -= timedelta(seconds=otp.STEP_SECONDS)
    clock.move_to(moment)
    return moment


def code_at(secret: str, moment: datetime) -> str:
    return otp.totp_code(secret, otp.step_at(moment))


async def mfa_row(app: FastAPI, user_id: uuid.UUID) -> UserMfa | None:
    async with runtime(app).database.read() as session:
        return await session.get(UserMfa, user_id)


async def unused_codes(app: FastAPI, user_id: uuid.UUID) -> int:
    async with runtime(app).database.read() as session:
        found = await session.scalars(
            select(col(BackupCode.id)).where(
                col(BackupCode.user_id) == user_id, col(BackupCode.used_at).is_(None)
            )
        )
        return len(found.all())


async def authenticated_at(app: FastAPI, session_id: uuid.UUID) -> datetime | None:
    async with runtime(app).database.read() as session:
        row = await session.get(AuthSession, session_id)
        return row.authenticated_at if row is not None else None
