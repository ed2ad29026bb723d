"""Mailing a login code needs the pending login's ``mfa_token`` (red team): a user id alone
answers 401 MFA_CODE_INVALID whatever the account's state, so it tells a stranger nothing
(a password just typed right, the account's factors) and spends none of the three sends."""

from __future__ import annotations

import uuid

import httpx
from fastapi import FastAPI

from tests.support.mfa_login import COMPLETE, challenges, mfa_user, password_login

SEND = f"{COMPLETE}/email/send"


async def test_a_user_id_alone_reveals_nothing_of_the_pending_login(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    busy = await mfa_user(app)  # TOTP only, between password and code
    await password_login(client, busy.email)
    mailing = await mfa_user(app, totp=False, email_codes=True, backup_codes=False)
    await password_login(client, mailing.email)
    idle = await mfa_user(app)
    answers = []
    for user_id in (busy.id, mailing.id, idle.id, uuid.uuid4()):
        response = await client.post(SEND, json={"user_id": str(user_id)})
        answers.append((response.status_code, response.json()["error"]["code"]))
    assert answers == [(401, "MFA_CODE_INVALID")] * 4, answers
    [pending] = await challenges(app, mailing.id)
    assert pending.email_sends == 0


async def test_the_mfa_token_mails_a_code(app: FastAPI, client: httpx.AsyncClient) -> None:
    user = await mfa_user(app, totp=False, email_codes=True, backup_codes=False)
    answer = await password_login(client, user.email)
    sent = await client.post(SEND, json={"mfa_token": answer["mfa_token"]})
    assert sent.status_code == 200, sent.text
    assert sent.json()["expires_in"] == 600
