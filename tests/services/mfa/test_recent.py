"""Recent authentication below the surfaces: the guard refuses from the fifth minute on (to the
second), and a re-authentication (password, TOTP or backup code) moves the session's proof;
wrong proofs are audited and counted toward a lockout."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import select
from sqlmodel import col

from identity.app import create_app
from identity.config import Settings
from identity.errors import (
    InvalidCredentials,
    MfaCodeInvalid,
    ReauthenticationRequired,
    TooManyAttempts,
    ValidationFailed,
)
from identity.models import AuditEvent
from identity.services.mfa import recent
from tests.conftest import open_client
from tests.factories import ACCOUNT_PASSWORD
from tests.support.app import runtime
from tests.support.clocks import install_clock
from tests.support.mfa_factors import (
    NOON,
    Account,
    authenticated_at,
    code_at,
    signed_in,
    unused_codes,
    with_totp,
)


async def guard(app: FastAPI, account: Account) -> None:
    deps = runtime(app).deps
    async with deps.database.read() as session:
        await recent.ensure_recent(session, deps, principal=account.principal)


async def test_a_login_is_recent_for_five_minutes_to_the_second(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    clock = install_clock(app)
    clock.move_to(NOON)
    account = await signed_in(app)
    proved = await authenticated_at(app, account.principal.session_id)
    assert proved is not None

    clock.move_to(proved + timedelta(minutes=5, seconds=-1))
    await guard(app, account)
    clock.move_to(proved + timedelta(minutes=5))
    with pytest.raises(ReauthenticationRequired) as refused:
        await guard(app, account)
    assert refused.value.code == "REAUTHENTICATION_REQUIRED"
    assert refused.value.status == 403


async def test_the_window_is_a_setting(make_settings: Callable[..., Settings]) -> None:
    app = create_app(make_settings(recent_auth_minutes=1))
    async for _ in open_client(app):
        clock = install_clock(app)
        account = await signed_in(app)
        proved = await authenticated_at(app, account.principal.session_id)
        assert proved is not None
        clock.move_to(proved + timedelta(seconds=59))
        await guard(app, account)
        clock.move_to(proved + timedelta(minutes=1))
        with pytest.raises(ReauthenticationRequired):
            await guard(app, account)


async def test_the_password_makes_the_session_recent_again(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    clock = install_clock(app)
    deps = runtime(app).deps
    account = await signed_in(app)
    clock.advance(minutes=30)
    with pytest.raises(ReauthenticationRequired):
        await guard(app, account)
    with pytest.raises(InvalidCredentials):
        await recent.reauthenticate(deps, principal=account.principal, password="wrong-password")
    with pytest.raises(ReauthenticationRequired):
        await guard(app, account)

    at = await recent.reauthenticate(deps, principal=account.principal, password=ACCOUNT_PASSWORD)

    assert await authenticated_at(app, account.principal.session_id) == at
    await guard(app, account)
    async with deps.database.read() as session:
        events = await session.scalars(
            select(col(AuditEvent.event_type)).order_by(col(AuditEvent.created_at))
        )
        found = list(events.all())
    assert "reauthentication.failed" in found
    assert found[-1] == "session.reauthenticated"


async def test_a_totp_or_backup_code_makes_the_session_recent_once(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    clock = install_clock(app)
    clock.move_to(NOON)
    deps = runtime(app).deps
    account = await signed_in(app)
    secret, codes = await with_totp(app, account)
    later = NOON + timedelta(minutes=10)
    clock.move_to(later)
    code = code_at(secret, later)

    await recent.reauthenticate(deps, principal=account.principal, code=code)
    await guard(app, account)
    with pytest.raises(MfaCodeInvalid):
        await recent.reauthenticate(deps, principal=account.principal, code=code, method="totp")

    await recent.reauthenticate(
        deps, principal=account.principal, code=codes[0], method="backup_code"
    )
    assert await unused_codes(app, account.id) == 9
    with pytest.raises(MfaCodeInvalid):
        await recent.reauthenticate(deps, principal=account.principal, code=codes[0])


@pytest.mark.parametrize(
    ("password", "code", "method", "refused"),
    [
        (None, None, None, InvalidCredentials),
        ("x", "123456", None, InvalidCredentials),
        ("x", None, "sms", InvalidCredentials),
        (None, "123456", "password", ValidationFailed),
        (None, "123456", "sms", ValidationFailed),
    ],
)
async def test_a_proof_is_a_password_or_a_code(
    app: FastAPI,
    client: httpx.AsyncClient,
    password: str | None,
    code: str | None,
    method: str | None,
    refused: type[Exception],
) -> None:
    """The password wins when sent (a code beside it is ignored); no proof is a wrong one."""
    account = await signed_in(app)
    with pytest.raises(refused):
        await recent.reauthenticate(
            runtime(app).deps,
            principal=account.principal,
            password=password,
            code=code,
            method=method,
        )


async def test_wrong_codes_lock_re_authentication_for_a_while(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    deps = runtime(app).deps
    account = await signed_in(app)
    await with_totp(app, account)
    threshold = deps.settings.lockout_threshold
    for _ in range(threshold):
        with pytest.raises(MfaCodeInvalid):
            await recent.reauthenticate(deps, principal=account.principal, code="ABCDE-FGHJK")
    with pytest.raises(TooManyAttempts):
        await recent.reauthenticate(deps, principal=account.principal, code="ABCDE-FGHJK")
    with pytest.raises(TooManyAttempts):
        await recent.reauthenticate(deps, principal=account.principal, password=ACCOUNT_PASSWORD)
