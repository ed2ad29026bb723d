"""Login codes by email over REST, attacked: parallel mails beyond three, a mailed code tried
on another pending login or replayed, guesses at a mailed code, a code past its ten minutes.
Codes are read from the mail (an in-process SMTP server)."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Callable, Iterator

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import select
from sqlmodel import col

from identity.config import Settings
from identity.models import OutboxMail
from tests.support.app import runtime
from tests.support.clocks import install_clock
from tests.support.mail import Mailbox
from tests.support.mfa_login import COMPLETE, challenges, mailed_code, mfa_user, password_login
from tests.support.smtp import SmtpServer

SEND = f"{COMPLETE}/email/send"
EMAIL = f"{COMPLETE}/email"
SUBJECT = "Your login code"


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


async def test_parallel_sends_mail_at_most_three_codes(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    user = await mfa_user(app, totp=False, email_codes=True)
    answer = await password_login(client, user.email)
    responses = await asyncio.gather(
        *(client.post(SEND, json={"mfa_token": answer["mfa_token"]}) for _ in range(10))
    )
    statuses = sorted(one.status_code for one in responses)
    assert statuses.count(200) <= 3, [one.text for one in responses]
    assert set(statuses) <= {200, 429}, [one.text for one in responses]
    assert await _mailed(app, user.id) == statuses.count(200)
    [row] = await challenges(app, user.id)
    assert row.email_sends == statuses.count(200)


async def test_a_mailed_code_completes_only_its_own_pending_login_once(
    app: FastAPI, client: httpx.AsyncClient, mailbox: Mailbox
) -> None:
    user = await mfa_user(app, totp=False, email_codes=True)
    first = await password_login(client, user.email)
    second = await password_login(client, user.email)
    sent = await client.post(SEND, json={"mfa_token": first["mfa_token"]})
    assert sent.status_code == 200, sent.text
    code = await _code(mailbox, user.email)
    crossed = await client.post(EMAIL, json={"mfa_token": second["mfa_token"], "code": code})
    assert crossed.status_code == 401
    assert crossed.json()["error"]["code"] == "MFA_CODE_INVALID"
    own = await client.post(EMAIL, json={"mfa_token": first["mfa_token"], "code": code})
    assert own.status_code == 200, own.text
    replayed = await client.post(EMAIL, json={"mfa_token": first["mfa_token"], "code": code})
    assert replayed.status_code == 401


async def test_a_mailed_code_is_guessed_five_times_at_most(
    app: FastAPI, client: httpx.AsyncClient, mailbox: Mailbox
) -> None:
    user = await mfa_user(app, totp=False, email_codes=True)
    answer = await password_login(client, user.email)
    await client.post(SEND, json={"mfa_token": answer["mfa_token"]})
    code = await _code(mailbox, user.email)
    wrong = [f"{(int(code) + step) % 1_000_000:06d}" for step in range(1, 7)]
    responses = await asyncio.gather(
        *(client.post(EMAIL, json={"mfa_token": answer["mfa_token"], "code": one}) for one in wrong)
    )
    assert {one.status_code for one in responses} <= {401, 429}
    late = await client.post(EMAIL, json={"mfa_token": answer["mfa_token"], "code": code})
    assert late.status_code in (401, 429), late.text
    more = await client.post(SEND, json={"mfa_token": answer["mfa_token"]})
    assert more.status_code in (401, 429), more.text
    assert await _mailed(app, user.id) == 1


async def test_a_mailed_code_dies_at_ten_minutes_even_when_resent_codes_keep_the_login(
    app: FastAPI, client: httpx.AsyncClient, mailbox: Mailbox
) -> None:
    clock = install_clock(app)
    user = await mfa_user(app, totp=False, email_codes=True)
    answer = await password_login(client, user.email)
    await client.post(SEND, json={"mfa_token": answer["mfa_token"]})
    first = await _code(mailbox, user.email)
    clock.advance(minutes=4)
    await client.post(SEND, json={"mfa_token": answer["mfa_token"]})
    second = await _code(mailbox, user.email)
    stale = await client.post(EMAIL, json={"mfa_token": answer["mfa_token"], "code": first})
    if first != second:
        assert stale.status_code == 401, "a replaced code still works"
    clock.advance(minutes=10)
    late = await client.post(EMAIL, json={"mfa_token": answer["mfa_token"], "code": second})
    assert late.status_code == 401
    assert "access_token" not in late.json()
