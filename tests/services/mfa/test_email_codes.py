"""Login codes by email: on only for a verified address, three mails per pending login (the
newest code works), ten minutes to the second (the pending login lives as long), off only
with recent authentication and never as the last factor of an account that must have MFA."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import select
from sqlmodel import col

from identity.config import Settings
from identity.errors import (
    EmailNotVerified,
    LastFactorRequired,
    MfaAlreadyEnabled,
    MfaCodeInvalid,
    MfaNotEnabled,
    ReauthenticationRequired,
    TooManyAttempts,
)
from identity.models import OutboxMail
from identity.models.mfa import MfaMethod
from identity.principal import RequestMeta
from identity.security import otp
from identity.services import auth
from identity.services.mfa import email_codes, login_step
from identity.services.mfa.pending import MfaRequired
from tests.factories import ACCOUNT_PASSWORD, set_setting
from tests.support.app import runtime
from tests.support.clocks import install_clock
from tests.support.mail import Mailbox
from tests.support.mfa_factors import signed_in
from tests.support.mfa_login import challenges, mailed_code, mfa_user
from tests.support.smtp import SmtpServer

META = RequestMeta(ip_address="203.0.113.10")
SUBJECT = "Your login code"


async def _login(app: FastAPI, email: str) -> MfaRequired:
    outcome = await auth.login(
        runtime(app).deps, identifier=email, password=ACCOUNT_PASSWORD, meta=META
    )
    assert isinstance(outcome, MfaRequired), outcome
    return outcome


@pytest.fixture
def smtp() -> Iterator[SmtpServer]:
    server = SmtpServer()
    server.start()
    yield server
    server.stop()


@pytest.fixture
def mailbox(smtp: SmtpServer) -> Mailbox:
    return Mailbox(smtp)


@pytest.fixture
def settings(make_settings: Callable[..., Settings], smtp: SmtpServer) -> Settings:
    """The app mails through the in-process SMTP server: login codes are read from mail."""
    return make_settings(smtp_url=smtp.url, smtp_timeout_seconds=5)


async def _code(mailbox: Mailbox, address: str) -> str:
    return mailed_code((await mailbox.next_to(address, SUBJECT)).text)


async def _mailed(app: FastAPI, user_id: uuid.UUID) -> int:
    async with runtime(app).database.read() as session:
        found = await session.scalars(
            select(col(OutboxMail.id)).where(
                col(OutboxMail.user_id) == user_id, col(OutboxMail.template) == "mfa_email_code"
            )
        )
        return len(found.all())


async def _complete(app: FastAPI, step: MfaRequired, code: str) -> uuid.UUID:
    completed = await login_step.complete_with_code(
        runtime(app).deps,
        user_id=step.user_id,
        mfa_token=step.mfa_token,
        method=MfaMethod.EMAIL,
        code=code,
        meta=META,
    )
    return completed.tokens.user.id


async def test_enabling_needs_a_verified_address_and_happens_once(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    deps = runtime(app).deps
    unverified = await signed_in(app, email_verified=False)
    with pytest.raises(EmailNotVerified):
        await email_codes.enable(deps, principal=unverified.principal)
    verified = await signed_in(app, email_verified=True)
    await email_codes.enable(deps, principal=verified.principal)
    with pytest.raises(MfaAlreadyEnabled):
        await email_codes.enable(deps, principal=verified.principal)
    step = await _login(app, verified.principal.email)
    assert step.methods == (MfaMethod.EMAIL,)


async def test_three_codes_per_pending_login_and_only_the_newest_works(
    app: FastAPI, client: httpx.AsyncClient, mailbox: Mailbox
) -> None:
    deps = runtime(app).deps
    user = await mfa_user(app, totp=False, email_codes=True, backup_codes=False)
    step = await _login(app, user.email)
    for _ in range(3):
        assert (
            await email_codes.send(deps, user_id=str(user.id), mfa_token=step.mfa_token, meta=META)
            == 600
        )
    with pytest.raises(TooManyAttempts):
        await email_codes.send(deps, user_id=None, mfa_token=step.mfa_token, meta=META)
    mailed = {await _code(mailbox, user.email) for _ in range(3)}  # in any order
    [row] = await challenges(app, user.id)
    [newest] = [one for one in mailed if otp.email_code_hash(row.id, one) == row.email_code_hash]
    for older in mailed - {newest}:
        with pytest.raises(MfaCodeInvalid):
            await _complete(app, step, older)
    assert await _complete(app, step, newest) == user.id
    with pytest.raises(MfaCodeInvalid):  # single use
        await _complete(app, step, newest)


async def test_a_code_is_good_for_ten_minutes_to_the_second(
    app: FastAPI, client: httpx.AsyncClient, mailbox: Mailbox
) -> None:
    clock = install_clock(app)
    deps = runtime(app).deps
    user = await mfa_user(app, totp=False, email_codes=True, backup_codes=False)
    first = await _login(app, user.email)
    await email_codes.send(deps, user_id=None, mfa_token=first.mfa_token, meta=META)
    clock.advance(minutes=10, seconds=-1)  # beyond the pending login's own five minutes
    code = await _code(mailbox, user.email)
    assert await _complete(app, first, code) == user.id
    second = await _login(app, user.email)
    await email_codes.send(deps, user_id=None, mfa_token=second.mfa_token, meta=META)
    clock.advance(minutes=10)
    late = await _code(mailbox, user.email)
    with pytest.raises(MfaCodeInvalid):
        await _complete(app, second, late)


async def test_sending_without_a_pending_login_is_refused_like_a_wrong_code(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    deps = runtime(app).deps
    user = await mfa_user(app, totp=False, email_codes=True, backup_codes=False)
    for user_id in (str(user.id), str(uuid.uuid4()), "nonsense"):
        with pytest.raises(MfaCodeInvalid):
            await email_codes.send(deps, user_id=user_id, mfa_token=None, meta=META)
    assert await _mailed(app, user.id) == 0
    totp_only = await mfa_user(app)
    step = await _login(app, totp_only.email)
    with pytest.raises(MfaCodeInvalid):  # a user id alone: as if no login were pending
        await email_codes.send(deps, user_id=str(totp_only.id), mfa_token=None, meta=META)
    with pytest.raises(MfaCodeInvalid):  # another account's id beside the token
        await email_codes.send(deps, user_id=str(user.id), mfa_token=step.mfa_token, meta=META)
    with pytest.raises(MfaNotEnabled):  # the token's holder may learn the factors
        await email_codes.send(deps, user_id=None, mfa_token=step.mfa_token, meta=META)
    [row] = await challenges(app, totp_only.id)
    assert row.email_sends == 0


async def test_turning_it_off_needs_recent_authentication_and_another_factor_when_required(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    clock = install_clock(app)
    deps = runtime(app).deps
    account = await signed_in(app, email_verified=True)
    await email_codes.enable(deps, principal=account.principal)
    clock.advance(minutes=deps.settings.recent_auth_minutes)
    with pytest.raises(ReauthenticationRequired):
        await email_codes.disable(deps, principal=account.principal)
    fresh = await signed_in(app, email_verified=True)
    await email_codes.enable(deps, principal=fresh.principal)
    await set_setting(app, client, "mfa_required_for", "all")
    with pytest.raises(LastFactorRequired):
        await email_codes.disable(deps, principal=fresh.principal)
    await set_setting(app, client, "mfa_required_for", "none")
    await email_codes.disable(deps, principal=fresh.principal)
    with pytest.raises(MfaNotEnabled):
        await email_codes.disable(deps, principal=fresh.principal)
