"""TOTP below the surfaces, at fixed times: a setup enables nothing, an enable proves the app
holds the secret, and a code works once (its step and every earlier one are spent)."""

from __future__ import annotations

import asyncio
import uuid
from datetime import timedelta

import httpx
import pytest
from fastapi import FastAPI

from identity.errors import (
    MfaAlreadyEnabled,
    MfaCodeInvalid,
    MfaSetupRequired,
    ReauthenticationRequired,
    ValidationFailed,
)
from identity.models import AuthSession
from identity.models.mfa import MfaMethod
from identity.security import otp
from identity.services.mfa import state, totp
from identity.services.mfa.recent import reauthenticate
from tests.factories import ACCOUNT_PASSWORD
from tests.support.app import runtime
from tests.support.clocks import install_clock
from tests.support.mfa_factors import NOON, code_at, mfa_row, signed_in, unused_codes


async def check(app: FastAPI, user_id: uuid.UUID, code: str) -> bool:
    deps = runtime(app).deps
    async with deps.database.unit_of_work() as session:
        return await totp.check_totp(session, deps, user_id=user_id, code=code)


async def test_a_setup_enables_nothing_and_keeps_the_secret_sealed(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    deps = runtime(app).deps
    account = await signed_in(app, "jane@example.com")
    first = await totp.setup(deps, principal=account.principal)
    second = await totp.setup(deps, principal=account.principal)

    assert len(second.secret) == 32
    assert second.secret != first.secret
    assert second.url.startswith("otpauth://totp/identity:jane%40example.com?secret=")
    assert "issuer=identity" in second.url
    assert second.qr_svg_data_uri.startswith("data:image/svg+xml")
    row = await mfa_row(app, account.id)
    assert row is not None
    assert row.totp_enabled_at is None
    assert row.totp_secret is None
    assert row.totp_pending_secret
    assert second.secret not in row.totp_pending_secret
    async with deps.database.read() as session:
        assert not await state.has_mfa(session, account.id)
    assert not await check(app, account.id, code_at(second.secret, deps.clock.now()))


async def test_enable_proves_the_latest_setup_and_answers_ten_backup_codes(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    clock = install_clock(app)
    clock.move_to(NOON)
    deps = runtime(app).deps
    account = await signed_in(app)
    old = await totp.setup(deps, principal=account.principal)
    new = await totp.setup(deps, principal=account.principal)
    with pytest.raises(MfaCodeInvalid):
        await totp.enable(deps, principal=account.principal, code=code_at(old.secret, NOON))

    codes = await totp.enable(deps, principal=account.principal, code=code_at(new.secret, NOON))

    assert len(codes) == 10
    assert len(set(codes)) == 10
    assert all(otp.normalized_backup_code(code) for code in codes)
    assert await unused_codes(app, account.id) == 10
    async with deps.database.read() as session:
        assert await state.enabled_methods(session, account.id) == [
            MfaMethod.TOTP,
            MfaMethod.BACKUP_CODE,
        ]
    # The code that enabled TOTP is spent: it cannot also complete a login.
    assert not await check(app, account.id, code_at(new.secret, NOON))
    with pytest.raises(MfaAlreadyEnabled):
        await totp.setup(deps, principal=account.principal)


@pytest.mark.parametrize("code", ["12345", "1234567", "12a456", "", "١٢٣٤٥٦", "1" * 10_000])
async def test_a_code_that_cannot_be_one_is_a_validation_error(
    app: FastAPI, client: httpx.AsyncClient, code: str
) -> None:
    deps = runtime(app).deps
    account = await signed_in(app)
    await totp.setup(deps, principal=account.principal)
    with pytest.raises(ValidationFailed) as refused:
        await totp.enable(deps, principal=account.principal, code=code)
    assert refused.value.code == "VALIDATION_ERROR"
    assert refused.value.field == "code"
    assert not await check(app, account.id, code)


async def test_a_setup_waits_fifteen_minutes_for_its_proof(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    clock = install_clock(app)
    clock.move_to(NOON)
    deps = runtime(app).deps
    account = await signed_in(app)
    with pytest.raises(MfaSetupRequired):
        await totp.enable(deps, principal=account.principal, code="123456")
    enrolled = await totp.setup(deps, principal=account.principal)
    row = await mfa_row(app, account.id)
    assert row is not None
    assert row.totp_pending_at is not None
    late = row.totp_pending_at + timedelta(minutes=totp.SETUP_MINUTES)
    clock.move_to(late)
    with pytest.raises(MfaSetupRequired):
        await totp.enable(deps, principal=account.principal, code=code_at(enrolled.secret, late))


async def test_a_code_works_once_and_never_an_earlier_step(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    clock = install_clock(app)
    clock.move_to(NOON)
    deps = runtime(app).deps
    account = await signed_in(app)
    enrolled = await totp.setup(deps, principal=account.principal)
    await totp.enable(deps, principal=account.principal, code=code_at(enrolled.secret, NOON))
    later = NOON + timedelta(minutes=2)
    clock.move_to(later)
    step = timedelta(seconds=otp.STEP_SECONDS)

    assert not await check(app, account.id, code_at(enrolled.secret, later - 2 * step))
    assert await check(app, account.id, code_at(enrolled.secret, later - step))
    assert await check(app, account.id, code_at(enrolled.secret, later))
    assert not await check(app, account.id, code_at(enrolled.secret, later))
    assert not await check(app, account.id, code_at(enrolled.secret, later - step))
    assert await check(app, account.id, code_at(enrolled.secret, later + step))
    assert not await check(app, account.id, code_at(enrolled.secret, later + 2 * step))
    row = await mfa_row(app, account.id)
    assert row is not None
    assert row.totp_last_step == otp.step_at(later + step)


async def test_parallel_uses_of_one_code_pass_once(app: FastAPI, client: httpx.AsyncClient) -> None:
    clock = install_clock(app)
    clock.move_to(NOON)
    deps = runtime(app).deps
    account = await signed_in(app)
    enrolled = await totp.setup(deps, principal=account.principal)
    await totp.enable(deps, principal=account.principal, code=code_at(enrolled.secret, NOON))
    clock.move_to(NOON + timedelta(minutes=1))
    code = code_at(enrolled.secret, clock.now())

    passed = await asyncio.gather(*(check(app, account.id, code) for _ in range(8)))

    assert sorted(passed) == [False] * 7 + [True]


async def test_another_users_code_checks_nothing(app: FastAPI, client: httpx.AsyncClient) -> None:
    clock = install_clock(app)
    clock.move_to(NOON)
    deps = runtime(app).deps
    jane = await signed_in(app)
    john = await signed_in(app)
    enrolled = await totp.setup(deps, principal=jane.principal)
    await totp.enable(deps, principal=jane.principal, code=code_at(enrolled.secret, NOON))
    clock.move_to(NOON + timedelta(minutes=1))

    assert not await check(app, john.id, code_at(enrolled.secret, clock.now()))
    assert await check(app, jane.id, code_at(enrolled.secret, clock.now()))


async def test_parallel_first_setups_leave_one_row(app: FastAPI, client: httpx.AsyncClient) -> None:
    deps = runtime(app).deps
    account = await signed_in(app)

    setups = await asyncio.gather(
        *(totp.setup(deps, principal=account.principal) for _ in range(5))
    )

    assert len({one.secret for one in setups}) == 5
    row = await mfa_row(app, account.id)
    assert row is not None
    assert row.totp_pending_secret is not None


async def test_an_old_session_cannot_enable_an_authenticator_app(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    """A stolen old session must not put its own app between the owner and their account."""
    clock = install_clock(app)
    clock.move_to(NOON)
    deps = runtime(app).deps
    account = await signed_in(app)
    async with deps.database.read() as session:
        auth_session = await session.get(AuthSession, account.principal.session_id)
    assert auth_session is not None
    assert auth_session.authenticated_at is not None
    stale = auth_session.authenticated_at + timedelta(minutes=deps.settings.recent_auth_minutes)
    clock.move_to(stale)
    enrolled = await totp.setup(deps, principal=account.principal)
    code = code_at(enrolled.secret, deps.clock.now())
    with pytest.raises(ReauthenticationRequired):
        await totp.enable(deps, principal=account.principal, code=code)
    row = await mfa_row(app, account.id)
    assert row is not None
    assert row.totp_enabled_at is None
    await reauthenticate(deps, principal=account.principal, password=ACCOUNT_PASSWORD)
    assert len(await totp.enable(deps, principal=account.principal, code=code)) == 10
