"""The pending login: created only after a right password, five wrong factors at most (counted
before they are checked, so parallel guesses cannot get more), single use, five minutes to
the second, bound to its user and to the password of the moment."""

from __future__ import annotations

import asyncio
import uuid
from datetime import timedelta

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy.ext.asyncio import AsyncSession

from identity.errors import AccountLocked, InvalidCredentials, MfaCodeInvalid
from identity.models import AuthSession, User
from identity.models.mfa import MfaChallenge, MfaMethod
from identity.principal import RequestMeta
from identity.services import auth
from identity.services.mfa import pending
from identity.services.mfa.pending import Completed, MfaRequired
from tests.factories import ACCOUNT_PASSWORD
from tests.support.app import runtime
from tests.support.clocks import install_clock
from tests.support.mfa_login import challenges, mfa_user

META = RequestMeta(ip_address="203.0.113.9")


async def _login(app: FastAPI, email: str, password: str = ACCOUNT_PASSWORD) -> MfaRequired:
    outcome = await auth.login(runtime(app).deps, identifier=email, password=password, meta=META)
    assert isinstance(outcome, MfaRequired), outcome
    return outcome


async def _right(session: AsyncSession, challenge: MfaChallenge) -> bool:
    return True


async def _wrong(session: AsyncSession, challenge: MfaChallenge) -> bool:
    return False


async def _complete(
    app: FastAPI,
    *,
    user_id: uuid.UUID | str | None = None,
    mfa_token: str | None = None,
    right: bool = True,
) -> Completed:
    return await pending.complete(
        runtime(app).deps,
        user_id=user_id,
        mfa_token=mfa_token,
        method=MfaMethod.TOTP,
        verify=_right if right else _wrong,
        meta=META,
    )


async def test_a_right_password_answers_a_pending_login_and_no_session(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    user = await mfa_user(app)
    step = await _login(app, user.email)
    assert step.user_id == user.id
    assert step.methods[0] is MfaMethod.TOTP
    assert MfaMethod.BACKUP_CODE in step.methods
    assert step.expires_in == 300
    [row] = await challenges(app, user.id)
    assert row.first_factor == "password"
    assert step.mfa_token not in str(row.model_dump())
    async with runtime(app).database.read() as session:
        user_row = await session.get(User, user.id)
        assert user_row is not None
        assert user_row.last_login is None  # no session was opened


async def test_a_wrong_password_creates_no_pending_login(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    user = await mfa_user(app)
    with pytest.raises(InvalidCredentials):
        await auth.login(runtime(app).deps, identifier=user.email, password="wrong!", meta=META)
    assert await challenges(app, user.id) == []


async def test_completion_opens_the_session_with_its_amr(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    user = await mfa_user(app)
    step = await _login(app, user.email)
    completed = await _complete(app, user_id=str(user.id))
    assert completed.cookie_path is None
    assert completed.tokens.session.amr == ["pwd", "otp", "mfa"]
    async with runtime(app).database.read() as session:
        stored = await session.get(AuthSession, completed.tokens.session.id)
        assert stored is not None
        assert stored.amr == ["pwd", "otp", "mfa"]
    # replay: the same pending login, by token or by user, is used up
    for kwargs in ({"mfa_token": step.mfa_token}, {"user_id": user.id}):
        with pytest.raises(MfaCodeInvalid):
            await _complete(app, **kwargs)  # type: ignore[arg-type]


async def test_fifty_parallel_wrong_factors_check_at_most_five_then_the_login_dies(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    user = await mfa_user(app)
    step = await _login(app, user.email)
    checked = 0

    async def counting(session: AsyncSession, challenge: MfaChallenge) -> bool:
        nonlocal checked
        checked += 1
        await asyncio.sleep(0)
        return False

    results = await asyncio.gather(
        *(
            pending.complete(
                runtime(app).deps,
                user_id=user.id,
                mfa_token=step.mfa_token,
                method=MfaMethod.TOTP,
                verify=counting,
                meta=META,
            )
            for _ in range(50)
        ),
        return_exceptions=True,
    )
    assert all(isinstance(one, MfaCodeInvalid) for one in results), results
    assert checked <= 5
    [row] = await challenges(app, user.id)
    assert row.failures == 5
    assert row.used_at is None
    with pytest.raises(MfaCodeInvalid):  # dead, even with the right factor
        await _complete(app, mfa_token=step.mfa_token)
    # the failures counted toward the account's lockout (threshold 5)
    with pytest.raises(AccountLocked):
        await auth.login(
            runtime(app).deps, identifier=user.email, password=ACCOUNT_PASSWORD, meta=META
        )


async def test_no_pending_login_fails_exactly_like_a_wrong_code(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    user = await mfa_user(app)
    await _login(app, user.email)
    with pytest.raises(MfaCodeInvalid) as wrong:
        await _complete(app, user_id=user.id, right=False)
    stranger = await mfa_user(app)
    refusals = []
    for user_id in (stranger.id, uuid.uuid4(), "not-a-uuid"):
        with pytest.raises(MfaCodeInvalid) as refused:
            await _complete(app, user_id=user_id)
        refusals.append(refused.value)
    for refusal in refusals:
        assert (refusal.code, refusal.message, refusal.field, refusal.status) == (
            wrong.value.code,
            wrong.value.message,
            wrong.value.field,
            wrong.value.status,
        )


async def test_the_mfa_token_of_another_user_is_refused(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    alice, bob = await mfa_user(app), await mfa_user(app)
    await _login(app, alice.email)
    bobs = await _login(app, bob.email)
    with pytest.raises(MfaCodeInvalid):
        await _complete(app, user_id=alice.id, mfa_token=bobs.mfa_token)
    [bob_row] = await challenges(app, bob.id)
    assert bob_row.failures == 0
    completed = await _complete(app, user_id=bob.id, mfa_token=bobs.mfa_token)
    assert completed.tokens.user.id == bob.id


async def test_the_pending_login_expires_at_five_minutes_to_the_second(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    clock = install_clock(app)
    user = await mfa_user(app)
    first = await _login(app, user.email)
    clock.advance(minutes=5, seconds=-1)
    assert (await _complete(app, mfa_token=first.mfa_token)).tokens.user.id == user.id
    second = await _login(app, user.email)
    clock.advance(minutes=5)
    with pytest.raises(MfaCodeInvalid):
        await _complete(app, mfa_token=second.mfa_token)


async def test_a_password_changed_while_pending_kills_the_pending_login(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    user = await mfa_user(app)
    step = await _login(app, user.email)
    deps = runtime(app).deps
    async with deps.database.unit_of_work() as session:
        row = await session.get(User, user.id)
        assert row is not None
        row.password_hash = await deps.hasher.hash("A-New-Password-2026!")
    with pytest.raises(MfaCodeInvalid):
        await _complete(app, mfa_token=step.mfa_token)
    [challenge] = await challenges(app, user.id)
    assert challenge.used_at is None
    assert challenge.failures == pending.MAX_FAILURES


async def test_a_refused_factor_error_is_counted_and_reraised(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    user = await mfa_user(app)
    step = await _login(app, user.email)

    async def refusing(session: AsyncSession, challenge: MfaChallenge) -> bool:
        raise InvalidCredentials("the key said no")

    with pytest.raises(InvalidCredentials, match="the key said no"):
        await pending.complete(
            runtime(app).deps,
            user_id=None,
            mfa_token=step.mfa_token,
            method=MfaMethod.WEBAUTHN,
            verify=refusing,
            meta=META,
        )
    [row] = await challenges(app, user.id)
    assert row.failures == 1
    assert timedelta(0) < row.expires_at - runtime(app).clock.now() <= pending.LIFETIME
