"""Failed attempts leave a trace (issue 10, item 27): a login refused while locked or
disabled, a bad or reused refresh token and a wrong current password are audited; an invalid
access token is counted on /metrics instead, so anyone sending many cannot flood the log.

Today none of these refusals writes anything.
"""

from __future__ import annotations

import re
from typing import Any

import httpx
from fastapi import FastAPI
from sqlalchemy import update
from sqlmodel import col

from identity.models import AuditEvent, User, UserStatus
from tests.support.app import runtime
from tests.support.audit import audit_events
from tests.support.clocks import install_clock
from tests.support.http import ME, assert_error, bearer, post_ok

ACCOUNT = {"email": "user@example.com", "password": "SecurePassword123!"}
WRONG = {"email": "user@example.com", "password": "WrongPassword123!"}
THRESHOLD = 5  # the default lockout threshold


async def registered(client: httpx.AsyncClient) -> str:
    body = await post_ok(client, "/v1/auth/register", ACCOUNT, status=201)
    return str(body["id"])


async def events(app: FastAPI, event_type: str) -> list[AuditEvent]:
    return [event for event in await audit_events(app) if event.event_type == event_type]


async def test_a_login_refused_while_locked_is_audited(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    # given an identifier locked by wrong passwords
    user_id = await registered(client)
    for _ in range(THRESHOLD):
        await client.post("/v1/auth/login", json=WRONG)

    # when the right password comes, twice
    for _ in range(2):
        assert_error(await client.post("/v1/auth/login", json=ACCOUNT), 423, "ACCOUNT_LOCKED")

    # then
    refused = await events(app, "login.refused")
    assert len(refused) == 2
    assert {str(event.subject_id) for event in refused} == {user_id}
    assert {event.details["reason"] for event in refused} == {"locked"}


async def test_a_login_refused_while_disabled_is_audited(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    # given a deactivated account
    user_id = await registered(client)
    async with runtime(app).database.unit_of_work() as session:
        await session.execute(
            update(User)
            .where(col(User.email_key) == ACCOUNT["email"])
            .values(is_active=False, status=UserStatus.INACTIVE)
        )

    # when
    response = await client.post("/v1/auth/login", json=ACCOUNT)

    # then
    assert_error(response, 403, "ACCOUNT_DISABLED")
    (refused,) = await events(app, "login.refused")
    assert str(refused.subject_id) == user_id
    assert refused.details == {"reason": "account_disabled", "known_account": True}
    assert refused.ip_address == "127.0.0.1"
    assert refused.request_id == response.headers["x-request-id"]


async def test_an_unknown_refresh_token_is_audited(app: FastAPI, client: httpx.AsyncClient) -> None:
    # when
    response = await client.post("/v1/auth/refresh", json={"refresh_token": "rt_forged"})

    # then
    assert_error(response, 401, "TOKEN_INVALID")
    (failed,) = await events(app, "token.refresh_failed")
    assert failed.details == {"reason": "TOKEN_INVALID", "known_token": False}
    assert failed.subject_id is None
    assert "rt_forged" not in str(failed.details)


async def test_a_refresh_token_of_an_ended_session_is_audited_with_its_owner(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    # given a session that was logged out
    user_id = await registered(client)
    tokens = await post_ok(client, "/v1/auth/login", ACCOUNT)
    await client.post("/v1/auth/logout", headers=bearer(tokens["access_token"]))

    # when
    response = await client.post(
        "/v1/auth/refresh", json={"refresh_token": tokens["refresh_token"]}
    )

    # then
    assert_error(response, 401, "TOKEN_INVALID")
    (failed,) = await events(app, "token.refresh_failed")
    assert str(failed.subject_id) == user_id
    assert str(failed.session_id) == tokens["session_id"]
    assert failed.details == {"reason": "TOKEN_INVALID", "known_token": True}


async def test_a_reused_refresh_token_is_audited(app: FastAPI, client: httpx.AsyncClient) -> None:
    # given a token whose successor was handed out longer ago than the reuse interval
    user_id = await registered(client)
    tokens = await post_ok(client, "/v1/auth/login", ACCOUNT)
    await post_ok(client, "/v1/auth/refresh", {"refresh_token": tokens["refresh_token"]})
    install_clock(app).advance(seconds=11)

    # when
    response = await client.post(
        "/v1/auth/refresh", json={"refresh_token": tokens["refresh_token"]}
    )

    # then
    assert_error(response, 401, "TOKEN_REUSED")
    (reused,) = await events(app, "token.reuse_detected")
    assert str(reused.subject_id) == user_id
    assert await events(app, "token.refresh_failed") == []


async def test_a_wrong_current_password_is_audited(app: FastAPI, client: httpx.AsyncClient) -> None:
    # given
    user_id = await registered(client)
    tokens = await post_ok(client, "/v1/auth/login", ACCOUNT)

    # when
    response = await client.post(
        "/v1/auth/change-password",
        json={"current_password": "Not-my-password-1", "new_password": "Another-Secret-2026"},
        headers=bearer(tokens["access_token"]),
    )

    # then
    assert_error(response, 401, "INVALID_CREDENTIALS")
    (failed,) = await events(app, "reauthentication.failed")
    assert str(failed.subject_id) == user_id
    assert str(failed.session_id) == tokens["session_id"]
    assert failed.details == {"reason": "wrong_password", "attempt": 1}
    assert "Not-my-password-1" not in str(failed.details)


def invalid_access_tokens(metrics: str) -> dict[str, float]:
    found = re.findall(
        r'^identity_invalid_access_tokens_total\{reason="([a-z_]+)"\} (\S+)$', metrics, re.M
    )
    return {reason: float(value) for reason, value in found}


async def scrape(client: httpx.AsyncClient) -> dict[str, float]:
    response = await client.get("/metrics")
    assert response.status_code == 200, response.text
    return invalid_access_tokens(response.text)


async def test_invalid_access_tokens_are_counted_not_audited(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    # given a user with an ended session, and the counters as they were
    await registered(client)
    tokens: dict[str, Any] = await post_ok(client, "/v1/auth/login", ACCOUNT)
    await client.post("/v1/auth/logout", headers=bearer(tokens["access_token"]))
    before = await scrape(client)
    rows_before = len(await audit_events(app))

    # when garbage, a forged signature and a token of the ended session come in
    header, payload, _ = tokens["access_token"].split(".")
    for token in ("garbage", f"{header}.{payload}.AAAA", tokens["access_token"]):
        assert_error(await client.get(ME, headers=bearer(token)), 401, "TOKEN_INVALID")

    # then
    after = await scrape(client)
    assert after["invalid"] - before["invalid"] == 2
    assert after["session_ended"] - before["session_ended"] == 1
    always = {"invalid", "expired", "session_ended", "account_disabled"}
    # (``tenant_changed`` shows once this process has refused one such token)
    assert always <= set(after) <= always | {"tenant_changed"}
    assert len(await audit_events(app)) == rows_before


async def test_an_expired_access_token_is_counted(app: FastAPI, client: httpx.AsyncClient) -> None:
    # given an access token past its expiry (15 minutes)
    await registered(client)
    tokens = await post_ok(client, "/v1/auth/login", ACCOUNT)
    before = await scrape(client)
    install_clock(app).advance(minutes=16)

    # when
    response = await client.get(ME, headers=bearer(tokens["access_token"]))

    # then
    assert_error(response, 401, "TOKEN_EXPIRED")
    assert (await scrape(client))["expired"] - before["expired"] == 1


async def test_a_wrong_current_password_on_a_username_change_is_audited_with_the_session(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    # given
    user_id = await registered(client)
    tokens = await post_ok(client, "/v1/auth/login", ACCOUNT)

    # when
    response = await client.put(
        "/v1/auth/profile",
        json={"username": "someone_else", "current_password": "Not-my-password-1"},
        headers={**bearer(tokens["access_token"]), "X-Request-ID": "req-profile-1"},
    )

    # then
    assert_error(response, 401, "INVALID_CREDENTIALS")
    (failed,) = await events(app, "reauthentication.failed")
    assert str(failed.subject_id) == user_id
    assert str(failed.session_id) == tokens["session_id"]
    assert failed.request_id == "req-profile-1"
