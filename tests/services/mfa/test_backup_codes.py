"""Backup codes below the surfaces: single use (also in parallel), bound to their user, typed
in any case with or without the hyphen, and a mail once two or fewer remain."""

from __future__ import annotations

import asyncio
import uuid

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import select
from sqlmodel import col

from identity.models import AuditEvent
from identity.services.mfa import backup_codes
from tests.flows.conftest import queued_to
from tests.support.app import runtime
from tests.support.mfa_factors import signed_in, unused_codes, with_totp


async def use(app: FastAPI, user_id: uuid.UUID, code: str) -> bool:
    deps = runtime(app).deps
    async with deps.database.unit_of_work() as session:
        return await backup_codes.consume(session, deps, user_id=user_id, code=code)


async def test_a_code_works_once_in_any_spelling(app: FastAPI, client: httpx.AsyncClient) -> None:
    account = await signed_in(app)
    _, codes = await with_totp(app, account)
    first, second = codes[0], codes[1]
    assert len(first) == 11
    assert first[5] == "-"

    assert await use(app, account.id, first)
    assert not await use(app, account.id, first)
    assert not await use(app, account.id, first.replace("-", "").lower())
    assert await use(app, account.id, f" {second.replace('-', '').lower()} ")
    assert await unused_codes(app, account.id) == 8
    async with runtime(app).database.read() as session:
        used = await session.scalars(
            select(AuditEvent).where(col(AuditEvent.event_type) == "mfa.backup_code.used")
        )
        assert [row.details["remaining"] for row in used.all()] == [9, 8]


async def test_ten_parallel_uses_of_one_code_pass_once(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    account = await signed_in(app)
    _, codes = await with_totp(app, account)

    passed = await asyncio.gather(*(use(app, account.id, codes[3]) for _ in range(10)))

    assert sorted(passed) == [False] * 9 + [True]
    assert await unused_codes(app, account.id) == 9


@pytest.mark.parametrize(
    "code", ["", "ABCDE", "ABCDEFGHJKM", "ABCDE-FGHJ0", "abcde-fghjk-x", "A" * 100_000]
)
async def test_what_cannot_be_a_code_is_refused_without_a_lookup(
    app: FastAPI, client: httpx.AsyncClient, code: str
) -> None:
    account = await signed_in(app)
    await with_totp(app, account)
    assert not await use(app, account.id, code)
    assert await unused_codes(app, account.id) == 10


async def test_a_code_is_its_users_only(app: FastAPI, client: httpx.AsyncClient) -> None:
    jane = await signed_in(app)
    john = await signed_in(app)
    _, codes = await with_totp(app, jane)
    await with_totp(app, john)

    assert not await use(app, john.id, codes[0])
    assert await unused_codes(app, jane.id) == 10
    assert await unused_codes(app, john.id) == 10


async def test_the_user_is_told_when_two_or_fewer_remain(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    account = await signed_in(app, "few@example.com")
    _, codes = await with_totp(app, account)
    for code in codes[:7]:
        assert await use(app, account.id, code)
    subjects = [mail.subject for mail in await queued_to(app, "few@example.com")]
    assert "Few backup codes remain" not in subjects

    assert await use(app, account.id, codes[7])
    assert await use(app, account.id, codes[8])

    low = [mail for mail in await queued_to(app, "few@example.com") if "Few" in mail.subject]
    assert len(low) == 2
    assert await backup_codes.remaining(runtime(app).deps, principal=account.principal) == 1
