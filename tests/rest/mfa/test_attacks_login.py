"""The login step over REST, attacked: parallel guesses and completions against the pending
login's counters and single use, replayed codes and tokens, enumeration by answer, and
malformed input that must answer a stable error (never a 500, never a counted attempt)."""

from __future__ import annotations

import asyncio
import uuid
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import select
from sqlmodel import col

from identity.models import AuditEvent
from tests.factories import ACCOUNT_PASSWORD, add_user
from tests.support.app import runtime
from tests.support.clocks import install_clock
from tests.support.http import bearer
from tests.support.mfa_login import COMPLETE, LOGIN, challenges, mfa_user, password_login, steady


def _error(response: httpx.Response) -> dict[str, Any]:
    error: dict[str, Any] = response.json()["error"]
    return {key: value for key, value in error.items() if key not in ("timestamp", "request_id")}


async def _events(app: FastAPI, user_id: uuid.UUID, name: str) -> list[AuditEvent]:
    async with runtime(app).database.read() as session:
        found = await session.scalars(
            select(AuditEvent).where(
                col(AuditEvent.subject_id) == user_id, col(AuditEvent.event_type) == name
            )
        )
        return list(found.all())


async def test_fifty_parallel_wrong_codes_over_rest_check_at_most_five(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    clock = install_clock(app)
    user = await mfa_user(app)
    moment = steady(clock)
    answer = await password_login(client, user.email)
    right = user.code(moment)
    wrong = f"{(int(right) + 1) % 1_000_000:06d}"
    body = {"user_id": answer["user_id"], "mfa_token": answer["mfa_token"], "code": wrong}
    responses = await asyncio.gather(*(client.post(COMPLETE, json=body) for _ in range(50)))
    statuses = {one.status_code for one in responses}
    assert statuses <= {401, 429}, statuses
    assert all("access_token" not in one.json() for one in responses)
    [row] = await challenges(app, user.id)
    assert row.failures == 5
    assert row.used_at is None
    assert len(await _events(app, user.id, "mfa.challenge.failed")) <= 5
    # the pending login is dead: even the right code no longer completes it
    late = await client.post(COMPLETE, json={**body, "code": right})
    assert late.status_code in (401, 429)
    assert "access_token" not in late.json()


async def test_one_pending_login_completed_twice_in_parallel_opens_one_session(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    user = await mfa_user(app)
    answer = await password_login(client, user.email)
    first, second = user.backup_codes[:2]
    responses = await asyncio.gather(
        *(
            client.post(f"{COMPLETE}/backup", json={"mfa_token": answer["mfa_token"], "code": code})
            for code in (first, second, first, second)
        )
    )
    won = [one for one in responses if one.status_code == 200]
    assert len(won) == 1, [one.text for one in responses]
    assert {one.status_code for one in responses} - {200} <= {401}
    [row] = await challenges(app, user.id)
    assert row.used_at is not None


async def test_one_backup_code_spent_by_two_parallel_logins_passes_once(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    user = await mfa_user(app)
    logins = [await password_login(client, user.email) for _ in range(3)]
    code = user.backup_codes[3]
    responses = await asyncio.gather(
        *(
            client.post(f"{COMPLETE}/backup", json={"mfa_token": one["mfa_token"], "code": code})
            for one in logins
        )
    )
    assert sorted(one.status_code for one in responses) == [200, 401, 401], [
        one.text for one in responses
    ]


async def test_one_totp_code_used_by_two_parallel_logins_passes_once(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    clock = install_clock(app)
    user = await mfa_user(app)
    moment = steady(clock)
    logins = [await password_login(client, user.email) for _ in range(3)]
    code = user.code(moment)
    responses = await asyncio.gather(
        *(
            client.post(COMPLETE, json={"mfa_token": one["mfa_token"], "code": code})
            for one in logins
        )
    )
    assert sorted(one.status_code for one in responses) == [200, 401, 401], [
        one.text for one in responses
    ]


async def test_a_totp_code_accepted_at_login_is_refused_at_the_next_login(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    clock = install_clock(app)
    user = await mfa_user(app)
    moment = steady(clock)
    first = await password_login(client, user.email)
    done = await client.post(
        COMPLETE, json={"mfa_token": first["mfa_token"], "code": user.code(moment)}
    )
    assert done.status_code == 200, done.text
    clock.advance(seconds=5)  # still the same 30-second step
    second = await password_login(client, user.email)
    replayed = await client.post(
        COMPLETE, json={"mfa_token": second["mfa_token"], "code": user.code(moment)}
    )
    assert replayed.status_code == 401
    assert replayed.json()["error"]["code"] == "MFA_CODE_INVALID"
    # nor can the code, seen at login, re-authenticate the session it opened
    token = done.json()["access_token"]
    proof = await client.post(
        "/v1/auth/reauthenticate", json={"code": user.code(moment)}, headers=bearer(token)
    )
    assert proof.status_code in (400, 401, 403), proof.text
    assert proof.status_code != 200


async def test_a_completed_mfa_token_cannot_complete_again(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    user = await mfa_user(app)
    answer = await password_login(client, user.email)
    done = await client.post(
        f"{COMPLETE}/backup",
        json={"mfa_token": answer["mfa_token"], "code": user.backup_codes[0]},
    )
    assert done.status_code == 200, done.text
    again = await client.post(
        f"{COMPLETE}/backup",
        json={"mfa_token": answer["mfa_token"], "code": user.backup_codes[1]},
    )
    assert again.status_code == 401
    assert again.json()["error"]["code"] == "MFA_CODE_INVALID"


async def test_the_pending_login_expires_at_five_minutes_to_the_second_over_rest(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    clock = install_clock(app)
    user = await mfa_user(app)
    answer = await password_login(client, user.email)
    clock.advance(minutes=5)
    late = await client.post(
        f"{COMPLETE}/backup",
        json={"mfa_token": answer["mfa_token"], "code": user.backup_codes[0]},
    )
    assert late.status_code == 401
    assert late.json()["error"]["code"] == "MFA_CODE_INVALID"


async def test_a_wrong_password_reveals_nothing_of_mfa(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    with_mfa = await mfa_user(app)
    without = await add_user(
        app,
        f"plain-{uuid.uuid4().hex[:8]}@example.com",
        password_hash=await runtime(app).deps.hasher.hash(ACCOUNT_PASSWORD),
        email_verified=True,
    )
    assert without
    answers = []
    for email in (with_mfa.email, f"plain-nobody-{uuid.uuid4().hex[:6]}@example.com"):
        response = await client.post(LOGIN, json={"email": email, "password": "Wrong-Pass-1!"})
        answers.append((response.status_code, _error(response)))
        assert "mfa" not in response.text.lower()
    assert answers[0] == answers[1]
    assert await challenges(app, with_mfa.id) == []


async def test_wrong_second_factors_count_toward_the_accounts_lockout(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    user = await mfa_user(app)
    locked = False
    for _ in range(3):
        response = await client.post(
            LOGIN, json={"email": user.email, "password": ACCOUNT_PASSWORD}
        )
        if response.status_code != 200:
            assert response.json()["error"]["code"] == "ACCOUNT_LOCKED"
            locked = True
            break
        answer = response.json()
        for _ in range(5):
            await client.post(COMPLETE, json={"mfa_token": answer["mfa_token"], "code": "000000"})
    assert locked, "fifteen wrong second factors never locked the account"


MALFORMED_CODES: list[Any] = [
    123456,
    None,
    ["123456"],
    {"code": "123456"},
    True,
    "\uff11\uff12\uff13\uff14\uff15\uff16",  # fullwidth digits
    "\u0661\u0662\u0663\u0664\u0665\u0666",  # Arabic-Indic digits
    "123\x00456",
    "12345\u200b6",
    "9" * 65,
    "9" * 100_000,
    "",
    "   ",
]


@pytest.mark.parametrize("path", [COMPLETE, f"{COMPLETE}/backup", f"{COMPLETE}/email"])
async def test_malformed_codes_answer_stable_errors_and_count_nothing_unchecked(
    app: FastAPI, client: httpx.AsyncClient, path: str
) -> None:
    user = await mfa_user(app)
    answer = await password_login(client, user.email)
    for code in MALFORMED_CODES:
        response = await client.post(
            path,
            json={"user_id": answer["user_id"], "mfa_token": answer["mfa_token"], "code": code},
        )
        assert response.status_code in (400, 401, 413, 422), (code, response.text)
        assert response.json()["error"]["code"] in (
            "VALIDATION_ERROR",
            "MFA_CODE_INVALID",
            "PAYLOAD_TOO_LARGE",
            "REQUEST_TOO_LARGE",
        ), (code, response.text)
        assert "access_token" not in response.json()
    [row] = await challenges(app, user.id)
    assert row.used_at is None


MALFORMED_PENDING: list[dict[str, Any]] = [
    {"user_id": 42},
    {"user_id": ["x"]},
    {"user_id": "x" * 65},
    {"user_id": "\x00"},
    {"mfa_token": 7},
    {"mfa_token": "mfa_" + "a" * 300},
    {"mfa_token": "mfa_\x00"},
    {"mfa_token": ""},
    {"user_id": None, "mfa_token": None},
    {},
]


@pytest.mark.parametrize("path", [COMPLETE, f"{COMPLETE}/email/send"])
async def test_malformed_pending_login_names_never_answer_500(
    app: FastAPI, client: httpx.AsyncClient, path: str
) -> None:
    for body in MALFORMED_PENDING:
        response = await client.post(path, json={"code": "123456", **body})
        assert response.status_code in (400, 401, 422), (body, response.text)
        assert response.json()["error"]["code"] in ("VALIDATION_ERROR", "MFA_CODE_INVALID"), (
            body,
            response.text,
        )
    for raw in (b"[]", b"null", b'"code"', b"{", b'{"code": "1"' + b" " * 10):
        response = await client.post(
            path, content=raw, headers={"Content-Type": "application/json"}
        )
        assert response.status_code in (400, 422), (raw, response.text)
