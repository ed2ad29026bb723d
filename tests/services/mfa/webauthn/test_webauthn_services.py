"""The WebAuthn services without HTTP: the login step's verifier against a pending login,
single use under parallel requests, the last factor of an account that must have MFA."""

from __future__ import annotations

import asyncio
import json
from datetime import timedelta

import httpx
import pytest
from fastapi import FastAPI

from identity.errors import LastFactorRequired, WebauthnVerificationFailed
from identity.models.mfa import ChallengeKind, MfaChallenge
from identity.security.secrets import hash_token, new_token
from identity.services import after_answer
from identity.services.mfa.webauthn import credentials, passkey, registration
from identity.services.mfa.webauthn.assertion import verify_login_assertion
from identity.services.mfa.webauthn.ceremony import MAX_RESPONSE_CHARS, parse_response
from identity.services.tokens import TokenPair
from tests.factories import set_setting
from tests.support.app import runtime
from tests.support.audit import audit_events
from tests.support.authenticator import Credential, SoftAuthenticator
from tests.support.mfa_factors import Account, signed_in, with_totp


async def _registered(
    app: FastAPI, account: Account, authenticator: SoftAuthenticator
) -> Credential:
    deps = runtime(app).deps
    options = await registration.begin_registration(deps, principal=account.principal)
    sent, credential = authenticator.create(options)
    await registration.finish_registration(deps, principal=account.principal, credential=sent)
    return credential


async def _pending_login(app: FastAPI, account: Account, challenge: str) -> MfaChallenge:
    now = runtime(app).clock.now()
    async with runtime(app).database.unit_of_work() as session:
        row = MfaChallenge(
            kind=ChallengeKind.LOGIN.value,
            token_hash=hash_token(new_token()),
            user_id=account.id,
            first_factor="password",
            webauthn_challenge=challenge,
            created_at=now,
            expires_at=now + timedelta(minutes=5),
        )
        session.add(row)
    return row


async def _verify(app: FastAPI, row_id: object, assertion: object) -> bool:
    deps = runtime(app).deps
    async with deps.database.unit_of_work() as session:
        row = await session.get(MfaChallenge, row_id)
        assert row is not None
        return await verify_login_assertion(session, deps, challenge=row, assertion=assertion)  # type: ignore[arg-type]


async def test_the_verifier_spends_the_challenge(app: FastAPI, client: httpx.AsyncClient) -> None:
    account = await signed_in(app)
    authenticator = SoftAuthenticator()
    await _registered(app, account, authenticator)
    options = {"challenge": "c2lnbi1tZS1vbmNlLXBsZWFzZS1zaWduLW1lLW9uY2U", "rpId": "localhost"}
    row = await _pending_login(app, account, options["challenge"])
    assertion = authenticator.get(options)
    assert await _verify(app, row.id, json.dumps(assertion)) is True
    assert await _verify(app, row.id, assertion) is False


async def test_the_verifier_refuses_without_raising(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    account = await signed_in(app)
    authenticator = SoftAuthenticator()
    await _registered(app, account, authenticator)
    challenge = "YW5vdGhlci1jaGFsbGVuZ2UtZm9yLXRoZS12ZXJpZmllcg"
    for bad in ("{", "x" * (MAX_RESPONSE_CHARS + 1), {"id": "nope", "response": {}}):
        row = await _pending_login(app, account, challenge)
        assert await _verify(app, row.id, bad) is False
    row = await _pending_login(app, account, challenge)
    wrong = authenticator.get({"challenge": challenge}, origin="https://evil.example")
    assert await _verify(app, row.id, wrong) is False


async def test_a_clone_is_audited_after_the_failure(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    account = await signed_in(app)
    authenticator = SoftAuthenticator()
    credential = await _registered(app, account, authenticator)
    challenge = "Y2xvbmUtY2hhbGxlbmdlLWNsb25lLWNoYWxsZW5nZS0x"
    row = await _pending_login(app, account, challenge)
    assert await _verify(app, row.id, authenticator.get({"challenge": challenge}, sign_count=5))
    row = await _pending_login(app, account, challenge)
    stale = authenticator.get({"challenge": challenge}, sign_count=4)
    assert await _verify(app, row.id, stale) is False
    await after_answer.settle()
    events = await audit_events(app, "mfa.webauthn.clone_suspected", user=account.id)
    assert [one.resource_id for one in events] == [credential.id]


async def test_parallel_passkey_finishes_open_one_session(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    deps = runtime(app).deps
    account = await signed_in(app)
    authenticator = SoftAuthenticator()
    await _registered(app, account, authenticator)
    options = await passkey.begin_passkey(deps)
    assertion = authenticator.get(options)

    async def finish() -> object:
        try:
            return await passkey.finish_passkey(
                deps, assertion=assertion, meta=account.principal.meta
            )
        except WebauthnVerificationFailed as refused:
            return refused

    outcomes = await asyncio.gather(*(finish() for _ in range(5)))
    assert sum(isinstance(one, TokenPair) for one in outcomes) == 1
    assert all(
        one.details["reason"] == "challenge"
        for one in outcomes
        if isinstance(one, WebauthnVerificationFailed)
    )


async def test_the_last_factor_stays_while_mfa_is_required(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    deps = runtime(app).deps
    account = await signed_in(app)
    first = await _registered(app, account, SoftAuthenticator())
    second = await _registered(app, account, SoftAuthenticator())
    await set_setting(app, client, "mfa_required_for", "all")
    await credentials.delete_credential(deps, principal=account.principal, credential_id=first.id)
    with pytest.raises(LastFactorRequired):
        await credentials.delete_credential(
            deps, principal=account.principal, credential_id=second.id
        )
    await with_totp(app, account)
    await credentials.delete_credential(deps, principal=account.principal, credential_id=second.id)
    assert await credentials.list_credentials(deps, principal=account.principal) == []


def test_parse_response_refuses_what_is_not_a_response() -> None:
    for bad, reason in [
        (42, "malformed"),
        ("[]", "malformed"),
        ('{"id": "", "response": {"clientDataJSON": "e30"}}', "malformed"),
        ({"id": "x" * 1401, "response": {"clientDataJSON": "e30"}}, "malformed"),
        ({"id": "x", "response": {"clientDataJSON": "e" * MAX_RESPONSE_CHARS}}, "too_large"),
        ("[" * 5000 + "]" * 5000, "malformed"),
    ]:
        with pytest.raises(WebauthnVerificationFailed) as refused:
            parse_response(bad)  # type: ignore[arg-type]
        assert refused.value.details["reason"] == reason
