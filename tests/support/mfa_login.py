"""Accounts with second factors for the login step's tests, written straight to the database
(a sealed TOTP secret, backup code digests, email codes on), and the clock at a known place
in a TOTP step."""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
from fastapi import FastAPI
from sqlalchemy import select
from sqlmodel import col

from identity.models.mfa import BackupCode, MfaChallenge, UserMfa
from identity.security import otp
from tests.factories import ACCOUNT_PASSWORD, add_user
from tests.support.app import runtime
from tests.support.clocks import MovableClock

LOGIN = "/v1/auth/login"
COMPLETE = "/v1/auth/login/mfa"
_CODE = re.compile(r"^Login code: ([0-9]{6})$", re.MULTILINE)


@dataclass(frozen=True, slots=True)
class MfaUser:
    id: uuid.UUID
    email: str
    secret: str
    backup_codes: list[str]

    def code(self, moment: datetime) -> str:
        return otp.totp_code(self.secret, otp.step_at(moment))


async def mfa_user(
    app: FastAPI,
    email: str | None = None,
    *,
    password: str = ACCOUNT_PASSWORD,
    totp: bool = True,
    email_codes: bool = False,
    backup_codes: bool = True,
    **fields: Any,
) -> MfaUser:
    """An account with a password and the factors asked for (TOTP by default)."""
    deps = runtime(app).deps
    email = email or f"mfa-{uuid.uuid4().hex[:10]}@example.com"
    user_id = await add_user(
        app,
        email,
        password_hash=await deps.hasher.hash(password),
        email_verified=True,
        **fields,
    )
    secret = otp.new_totp_secret()
    codes = otp.new_backup_codes() if backup_codes else []
    now = deps.clock.now()
    async with deps.database.unit_of_work() as session:
        session.add(
            UserMfa(
                user_id=user_id,
                totp_secret=otp.secret_sealer(deps.settings).seal(secret) if totp else None,
                totp_enabled_at=now if totp else None,
                email_enabled_at=now if email_codes else None,
                updated_at=now,
            )
        )
        session.add_all(
            BackupCode(
                user_id=user_id, code_hash=otp.backup_code_hash(user_id, one), created_at=now
            )
            for one in codes
        )
    return MfaUser(user_id, email, secret, codes)


def steady(clock: MovableClock) -> datetime:
    """Move ``clock`` to ten seconds into a TOTP step, never ahead of the real time."""
    now = clock.now()
    moment = datetime.fromtimestamp(otp.step_at(now) * otp.STEP_SECONDS + 10, UTC)
    if moment > now:
        moment -= timedelta(seconds=otp.STEP_SECONDS)
    clock.move_to(moment)
    return moment


async def challenges(app: FastAPI, user_id: uuid.UUID) -> list[MfaChallenge]:
    async with runtime(app).database.read() as session:
        found = await session.scalars(
            select(MfaChallenge).where(col(MfaChallenge.user_id) == user_id)
        )
        return list(found.all())


async def password_login(
    client: httpx.AsyncClient,
    email: str,
    *,
    password: str = ACCOUNT_PASSWORD,
    path: str = LOGIN,
    **body: Any,
) -> dict[str, Any]:
    """A password login that must succeed (200); its answer."""
    response = await client.post(path, json={"email": email, "password": password, **body})
    assert response.status_code == 200, response.text
    answer: dict[str, Any] = response.json()
    return answer


def mailed_code(text: str) -> str:
    found = _CODE.search(text)
    assert found is not None, text
    return found.group(1)
