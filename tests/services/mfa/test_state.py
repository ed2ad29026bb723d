"""A user's factors as every surface shows them: enabled methods, the preferred one first,
backup codes only beside another factor, one batch read for many users."""

from __future__ import annotations

import uuid

import httpx
from fastapi import FastAPI

from identity.models.mfa import BackupCode, MfaMethod, UserMfa, WebauthnCredential
from identity.services.mfa import state
from tests.support.app import runtime
from tests.support.mfa_factors import signed_in, with_totp


async def test_methods_list_the_preferred_first_and_codes_beside_a_factor(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    deps = runtime(app).deps
    now = deps.clock.now()
    codes_only, email_only, everything = [await signed_in(app) for _ in range(3)]
    await with_totp(app, everything)
    async with deps.database.unit_of_work() as session:
        session.add(BackupCode(user_id=codes_only.id, code_hash=uuid.uuid4().hex, created_at=now))
        session.add(UserMfa(user_id=email_only.id, email_enabled_at=now, updated_at=now))
        session.add(
            WebauthnCredential(
                user_id=everything.id,
                credential_id="cred",
                public_key="pk",
                name="Key",
                created_at=now,
            )
        )
        row = await session.get(UserMfa, everything.id)
        assert row is not None
        row.email_enabled_at = now
        row.preferred = "email"
    nobody = uuid.uuid4()

    ids = [everything.id, codes_only.id, email_only.id, nobody]
    async with deps.database.read() as session:
        by_user = await state.summaries(session, ids)
        keys = await state.webauthn_credentials_of(session, [codes_only.id, everything.id])
    found = [by_user[user_id] for user_id in ids]

    assert [one.methods for one in found] == [
        [MfaMethod.EMAIL, MfaMethod.TOTP, MfaMethod.WEBAUTHN, MfaMethod.BACKUP_CODE],
        [],
        [MfaMethod.EMAIL],
        [],
    ]
    assert [one.preferred for one in found] == [MfaMethod.EMAIL, None, MfaMethod.EMAIL, None]
    assert [one.backup_codes_remaining for one in found] == [10, 1, 0, 0]
    assert [one.enabled for one in found] == [True, False, True, False]
    assert [key.name for key in keys[everything.id]] == ["Key"]
    assert keys[codes_only.id] == []


async def test_a_preference_no_longer_enabled_falls_back(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    deps = runtime(app).deps
    account = await signed_in(app)
    await with_totp(app, account)
    async with deps.database.unit_of_work() as session:
        row = await session.get(UserMfa, account.id)
        assert row is not None
        row.preferred = "webauthn"
    status = await state.status(deps, principal=account.principal, device_token=None)
    assert status.preferred is MfaMethod.TOTP
    assert status.methods == [MfaMethod.TOTP, MfaMethod.BACKUP_CODE]
    assert status.trusted_device is False
    other = await state.status(deps, principal=account.principal, device_token="x" * 5000)
    assert other.trusted_device is False
