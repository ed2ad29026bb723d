"""Managing second factors below the surfaces: the preferred method, replacing backup codes
and turning MFA off (both only with recent authentication), an administrator's reset."""

from __future__ import annotations

import uuid
from datetime import timedelta

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import func, select
from sqlmodel import col

from identity.errors import (
    LastFactorRequired,
    MfaNotEnabled,
    NotFound,
    PermissionDenied,
    ReauthenticationRequired,
    ValidationFailed,
)
from identity.models import AuditEvent
from identity.models.mfa import MfaMethod, TrustedDevice, WebauthnCredential
from identity.services.mfa import backup_codes, manage, state
from tests.factories import add_member, new_tenant, set_setting
from tests.flows.conftest import queued_to
from tests.support.app import runtime
from tests.support.clocks import install_clock
from tests.support.mfa_factors import (
    mfa_row,
    principal_of,
    signed_in,
    unused_codes,
    with_totp,
)


async def add_key(app: FastAPI, user_id: uuid.UUID) -> None:
    now = runtime(app).clock.now()
    async with runtime(app).database.unit_of_work() as session:
        session.add(
            WebauthnCredential(
                user_id=user_id,
                credential_id=uuid.uuid4().hex,
                public_key="pk",
                name="Key",
                created_at=now,
            )
        )


async def trust(app: FastAPI, user_id: uuid.UUID) -> None:
    now = runtime(app).clock.now()
    async with runtime(app).database.unit_of_work() as session:
        session.add(
            TrustedDevice(
                user_id=user_id,
                token_hash=uuid.uuid4().hex,
                device_key="laptop",
                created_at=now,
                expires_at=now + timedelta(days=30),
            )
        )


async def live_trusts(app: FastAPI, user_id: uuid.UUID) -> int:
    async with runtime(app).database.read() as session:
        count = await session.scalar(
            select(func.count())
            .select_from(TrustedDevice)
            .where(col(TrustedDevice.user_id) == user_id, col(TrustedDevice.revoked_at).is_(None))
        )
        return int(count or 0)


async def events(app: FastAPI, name: str) -> list[AuditEvent]:
    async with runtime(app).database.read() as session:
        found = await session.scalars(select(AuditEvent).where(col(AuditEvent.event_type) == name))
        return list(found.all())


async def test_the_preferred_method_is_an_enabled_one(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    deps = runtime(app).deps
    account = await signed_in(app)
    with pytest.raises(MfaNotEnabled):
        await manage.set_preferred(deps, principal=account.principal, method="totp")
    await with_totp(app, account)
    await add_key(app, account.id)
    for bad in ["backup_code", "sms", "", "x" * 10_000]:
        with pytest.raises(ValidationFailed):
            await manage.set_preferred(deps, principal=account.principal, method=bad)
    with pytest.raises(MfaNotEnabled):
        await manage.set_preferred(deps, principal=account.principal, method="email")

    chosen = await manage.set_preferred(deps, principal=account.principal, method="WebAuthn")

    assert chosen.preferred is MfaMethod.WEBAUTHN
    assert chosen.methods == [MfaMethod.WEBAUTHN, MfaMethod.TOTP, MfaMethod.BACKUP_CODE]
    assert len(await events(app, "mfa.preferred_changed")) == 1


async def test_backup_codes_are_replaced_only_recently_authenticated(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    clock = install_clock(app)
    deps = runtime(app).deps
    account = await signed_in(app)
    _, old = await with_totp(app, account)
    clock.advance(minutes=6)
    with pytest.raises(ReauthenticationRequired):
        await manage.regenerate_backup_codes(deps, principal=account.principal)
    assert await unused_codes(app, account.id) == 10

    fresh = await signed_in(app)
    with pytest.raises(MfaNotEnabled):
        await manage.regenerate_backup_codes(deps, principal=fresh.principal)
    other = await principal_of(app, account.id, (await signed_in(app)).principal.session_id)
    new = await manage.regenerate_backup_codes(deps, principal=other)

    assert len(new) == 10
    assert not set(new) & set(old)
    async with deps.database.unit_of_work() as session:
        assert not await backup_codes.consume(session, deps, user_id=account.id, code=old[0])
        assert await backup_codes.consume(session, deps, user_id=account.id, code=new[0])
    assert len(await events(app, "mfa.backup_codes.replaced")) == 1


async def test_disable_needs_recent_authentication_and_removes_every_factor(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    clock = install_clock(app)
    deps = runtime(app).deps
    account = await signed_in(app, "off@example.com")
    other = await signed_in(app)
    await with_totp(app, account)
    await with_totp(app, other)
    await add_key(app, account.id)
    await trust(app, account.id)
    await trust(app, other.id)
    clock.advance(minutes=5, seconds=1)
    with pytest.raises(ReauthenticationRequired):
        await manage.disable(deps, principal=account.principal)
    assert await unused_codes(app, account.id) == 10

    clock.advance(minutes=-5)
    await manage.disable(deps, principal=account.principal)

    async with deps.database.read() as session:
        assert await state.summary(session, account.id) == state.NO_MFA
        assert (await state.summary(session, other.id)).enabled
    assert await mfa_row(app, account.id) is None
    assert await unused_codes(app, account.id) == 0
    assert await live_trusts(app, account.id) == 0
    assert await live_trusts(app, other.id) == 1
    assert await unused_codes(app, other.id) == 10
    [disabled] = await events(app, "mfa.disabled")
    assert disabled.details["methods"] == ["totp", "webauthn", "backup_code"]
    assert disabled.details["trusted_devices"] == 1
    subjects = [mail.subject for mail in await queued_to(app, "off@example.com")]
    assert "Multi-factor authentication was turned off" in subjects
    with pytest.raises(MfaNotEnabled):
        await manage.disable(deps, principal=account.principal)


async def test_mfa_required_by_policy_cannot_be_turned_off(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    deps = runtime(app).deps
    account = await signed_in(app)
    await with_totp(app, account)
    await set_setting(app, client, "mfa_required_for", "all")
    with pytest.raises(LastFactorRequired):
        await manage.disable(deps, principal=account.principal)
    assert await unused_codes(app, account.id) == 10


async def test_an_administrator_resets_within_reach_only(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    deps = runtime(app).deps
    tenant = await new_tenant(app)
    elsewhere = await new_tenant(app)
    member = await signed_in(app, "member@example.com")
    outsider = await signed_in(app)
    await add_member(app, tenant, member.id)
    await add_member(app, elsewhere, outsider.id)
    await with_totp(app, member)
    await with_totp(app, outsider)
    plain = await signed_in(app)
    root = await signed_in(app, role="superadmin")

    with pytest.raises(PermissionDenied):
        await manage.reset_user_mfa(deps, principal=plain.principal, user_id=member.id)
    with pytest.raises(NotFound):
        await manage.reset_user_mfa(deps, principal=root.principal, user_id=uuid.uuid4())

    await manage.reset_user_mfa(deps, principal=root.principal, user_id=member.id)

    assert await mfa_row(app, member.id) is None
    assert await unused_codes(app, outsider.id) == 10
    [reset] = await events(app, "mfa.reset")
    assert reset.actor_id == root.id
    assert reset.subject_id == member.id
    subjects = [mail.subject for mail in await queued_to(app, "member@example.com")]
    assert "An administrator reset your multi-factor authentication" in subjects


async def test_a_security_key_alone_may_be_preferred(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    deps = runtime(app).deps
    account = await signed_in(app)
    await add_key(app, account.id)

    chosen = await manage.set_preferred(deps, principal=account.principal, method="webauthn")

    assert chosen.methods == [MfaMethod.WEBAUTHN]
    assert chosen.preferred is MfaMethod.WEBAUTHN
