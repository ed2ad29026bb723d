"""Every security event writes exactly one audit row, with where it came from."""

from __future__ import annotations

from collections import Counter
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from identity.models import AuditEvent
from tests.support.audit import audit_events
from tests.support.clocks import install_clock
from tests.support.http import bearer

USER_AGENT = "identity-tests/audit (seed clients)"
# Seed 002's register and login examples, with its device_info.
REGISTER_BODY = {
    "email": "user@example.com",
    "password": "secure_password",
    "name": "John Doe",
    "organization": "Example Corp",
}
DEVICE_INFO = {"device_id": "device123", "platform": "web", "browser": "chrome"}
LOGIN_BODY = {
    "email": "user@example.com",
    "password": "secure_password",
    "device_info": DEVICE_INFO,
}
# A registration writes its own row and the verification mail's.
REGISTERED = ("user.registered", "email.verification_sent")
WRONG_LOGIN = {"email": "user@example.com", "password": "not_my_password"}
CHANGE_PASSWORD_BODY = {
    "current_password": "secure_password",
    "new_password": "new_secure_password",
}


class Journal:
    """The requests a test made, each with the audit events it should have written."""

    def __init__(self, client: httpx.AsyncClient) -> None:
        self.client = client
        self.expected: dict[str, list[str]] = {}
        client.headers["User-Agent"] = USER_AGENT

    async def call(
        self,
        method: str,
        path: str,
        *events: str,
        status: int = 200,
        json: dict[str, Any] | None = None,
        token: str | None = None,
    ) -> dict[str, Any]:
        headers = bearer(token) if token else None
        response = await self.client.request(method, path, json=json, headers=headers)
        assert response.status_code == status, response.text
        self.expected[response.headers["x-request-id"]] = list(events)
        return response.json() if response.content else {}


def assert_one_row_per_event(journal: Journal, rows: list[AuditEvent]) -> None:
    by_request: dict[str, list[str]] = {}
    for row in rows:
        assert row.request_id is not None, row
        assert row.ip_address == "127.0.0.1", row
        assert row.user_agent == USER_AGENT, row
        by_request.setdefault(row.request_id, []).append(row.event_type)
    assert {key: sorted(value) for key, value in by_request.items()} == {
        key: sorted(value) for key, value in journal.expected.items() if value
    }


async def test_each_event_of_a_session_life_writes_one_row(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    # given
    journal = Journal(client)

    # when
    await journal.call("POST", "/v1/auth/register", *REGISTERED, status=201, json=REGISTER_BODY)
    mine = await journal.call("POST", "/v1/auth/login", "login.succeeded", json=LOGIN_BODY)
    await journal.call("POST", "/v1/auth/login", "login.failed", status=401, json=WRONG_LOGIN)
    await journal.call(
        "POST",
        "/v1/auth/refresh",
        "token.refreshed",
        json={"refresh_token": mine["refresh_token"]},
    )
    stolen = await journal.call("POST", "/v1/auth/login", "login.succeeded", json=LOGIN_BODY)
    second = await journal.call(
        "POST",
        "/v1/auth/refresh",
        "token.refreshed",
        json={"refresh_token": stolen["refresh_token"]},
    )
    await journal.call(
        "POST",
        "/v1/auth/refresh",
        "token.refreshed",
        json={"refresh_token": second["refresh_token"]},
    )
    install_clock(app).advance(seconds=11)  # past the reuse interval
    await journal.call(
        "POST",
        "/v1/auth/refresh",
        "token.reuse_detected",
        status=401,
        json={"refresh_token": stolen["refresh_token"]},
    )
    other = await journal.call("POST", "/v1/auth/login", "login.succeeded", json=LOGIN_BODY)
    await journal.call(
        "DELETE",
        f"/v1/auth/sessions/{other['session_id']}",
        "session.revoked",
        token=mine["access_token"],
    )
    await journal.call(
        "POST",
        "/v1/auth/password/change",
        "password.changed",
        json=CHANGE_PASSWORD_BODY,
        token=mine["access_token"],
    )
    await journal.call("POST", "/v1/auth/logout", "logout", token=mine["access_token"])

    # then
    rows = await audit_events(app)
    assert_one_row_per_event(journal, rows)
    counts = Counter(row.event_type for row in rows)
    assert counts == {
        "user.registered": 1,
        "email.verification_sent": 1,
        "login.succeeded": 3,
        "login.failed": 1,
        "token.refreshed": 3,
        "token.reuse_detected": 1,
        "session.revoked": 1,
        "password.changed": 1,
        "logout": 1,
    }
    user_id = mine["user"]["id"]
    assert all(str(row.subject_id) == user_id for row in rows)
    sessions = {row.event_type: str(row.session_id) for row in rows if row.session_id}
    assert sessions["logout"] == mine["session_id"]
    assert sessions["token.reuse_detected"] == stolen["session_id"]
    assert sessions["password.changed"] == mine["session_id"]
    failed = next(row for row in rows if row.event_type == "login.failed")
    assert "not_my_password" not in str(failed.details)


@pytest.mark.parametrize(
    ("method", "path", "event"),
    [
        ("DELETE", "/v1/auth/sessions", "session.revoked_others"),
        ("POST", "/v1/auth/revoke-all-sessions", "session.revoked_all"),
        ("DELETE", "/v1/devices/device123", "device.removed"),
        ("POST", "/api/v1/auth/logout", "logout"),
        ("POST", "/auth/logout", "logout"),
    ],
)
async def test_each_way_of_ending_sessions_writes_one_row(
    app: FastAPI, client: httpx.AsyncClient, method: str, path: str, event: str
) -> None:
    # given
    journal = Journal(client)
    await journal.call("POST", "/v1/auth/register", *REGISTERED, status=201, json=REGISTER_BODY)
    mine = await journal.call("POST", "/v1/auth/login", "login.succeeded", json=LOGIN_BODY)
    await journal.call("POST", "/v1/auth/login", "login.succeeded", json=LOGIN_BODY)

    # when
    status = 204 if path == "/api/v1/auth/logout" else 200
    await journal.call(method, path, event, status=status, token=mine["access_token"])

    # then
    assert_one_row_per_event(journal, await audit_events(app))


async def test_a_lockout_writes_the_failure_and_the_lock(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    # given
    journal = Journal(client)
    await journal.call("POST", "/v1/auth/register", *REGISTERED, status=201, json=REGISTER_BODY)
    for _ in range(4):
        await journal.call("POST", "/v1/auth/login", "login.failed", status=401, json=WRONG_LOGIN)

    # when
    await journal.call(
        "POST",
        "/v1/auth/login",
        "login.failed",
        "account.locked",
        status=401,
        json=WRONG_LOGIN,
    )

    # then
    assert_one_row_per_event(journal, await audit_events(app))


async def test_a_profile_update_writes_one_row(app: FastAPI, client: httpx.AsyncClient) -> None:
    # given
    journal = Journal(client)
    await journal.call("POST", "/v1/auth/register", *REGISTERED, status=201, json=REGISTER_BODY)
    mine = await journal.call("POST", "/v1/auth/login", "login.succeeded", json=LOGIN_BODY)

    # when
    await journal.call(
        "PUT",
        "/v1/auth/profile",
        "user.profile_updated",
        json={"name": "Jane Roe", "organization": "Roe Industries"},
        token=mine["access_token"],
    )

    # then
    rows = await audit_events(app)
    assert_one_row_per_event(journal, rows)
    updated = next(row for row in rows if row.event_type == "user.profile_updated")
    assert updated.details["new"]["display_name"] == "Jane Roe"


async def test_a_very_long_user_agent_is_clipped_never_lost(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    """Otherwise a long header would turn a failed login into a 500 that writes no audit row."""
    # given
    journal = Journal(client)
    long_agent = "Mozilla/5.0 " + "x" * 5000
    client.headers["User-Agent"] = long_agent

    # when
    await journal.call("POST", "/v1/auth/register", *REGISTERED, status=201, json=REGISTER_BODY)
    await journal.call("POST", "/v1/auth/login", "login.succeeded", json=LOGIN_BODY)
    await journal.call("POST", "/v1/auth/login", "login.failed", status=401, json=WRONG_LOGIN)

    # then
    rows = await audit_events(app)
    assert sorted(row.event_type for row in rows) == [
        "email.verification_sent",
        "login.failed",
        "login.succeeded",
        "user.registered",
    ]
    for row in rows:
        assert row.user_agent is not None
        assert long_agent.startswith(row.user_agent)
        assert len(row.user_agent) == 1000
