"""Bulk actions with ``dry_run``: each outcome is reported as the real run would report it, and
nothing is written, not even an audit event. SQLite and PostgreSQL."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import select
from sqlmodel import col

from identity.models import AuditEvent, AuthSession, User
from tests.factories import add_user, root, token_for
from tests.support.app import runtime
from tests.support.graphql import gql
from tests.support.http import bearer
from tests.support.statements import counting

UNKNOWN = "123e4567-e89b-12d3-a456-426614174000"
ACTIONS = [
    ("activate", {}),
    ("deactivate", {"reason": "tidy"}),
    ("lock", {"duration_minutes": 30}),
    ("unlock", {}),
    ("delete", {}),
    ("assign_role", {"role": "admin2"}),
]


async def snapshot(app: FastAPI) -> dict[str, Any]:
    """Every row bulk actions may touch."""
    async with runtime(app).database.read() as session:
        users = (await session.scalars(select(User).order_by(col(User.email)))).all()
        sessions = (await session.scalars(select(AuthSession))).all()
        events = (await session.scalars(select(AuditEvent))).all()
        return {
            "users": [user.model_dump() for user in users],
            "sessions": sorted((str(one.id), str(one.revoked_at)) for one in sessions),
            "audit": len(events),
        }


async def targets(app: FastAPI) -> tuple[str, list[str]]:
    """The super-admin's token, and ids: another super-admin, two users, an unknown id and
    the caller themself (the last super-admin once the other one is gone)."""
    root_id, token = await root(app)
    other = await add_user(app, "other-root@example.com", role="superadmin")
    locked = await add_user(app, "locked@example.com", status="locked")
    plain = await add_user(app, "plain@example.com", status="inactive", is_active=False)
    for user_id in (other, locked, plain):
        await token_for(app, user_id)
    return token, [str(other), str(locked), str(plain), UNKNOWN, str(root_id)]


def outcomes(body: dict[str, Any]) -> list[tuple[str, bool, str | None]]:
    return [(one["user_id"], one["ok"], one["code"]) for one in body["results"]]


@pytest.mark.parametrize(("action", "extra"), ACTIONS, ids=[action for action, _ in ACTIONS])
async def test_a_dry_run_reports_and_writes_nothing(
    app: FastAPI, client: httpx.AsyncClient, action: str, extra: dict[str, Any]
) -> None:
    token, ids = await targets(app)
    request = {"user_ids": ids, "action": action, **extra}
    before = await snapshot(app)

    with counting(app) as counter:
        dry = await client.post(
            "/api/v1/users/bulk-actions", json={**request, "dry_run": True}, headers=bearer(token)
        )

    assert dry.status_code == 200, dry.text
    assert counter.writes == []
    assert await snapshot(app) == before
    assert dry.json()["dry_run"] is True
    assert dry.json()["message"] == "Dry run: nothing was changed"
    real = await client.post("/api/v1/users/bulk-actions", json=request, headers=bearer(token))
    assert real.json()["dry_run"] is False
    assert outcomes(dry.json()) == outcomes(real.json())
    assert dry.json()["affected_users"] == real.json()["affected_users"] > 0
    assert (UNKNOWN, False, "RESOURCE_NOT_FOUND") in outcomes(real.json())
    assert await snapshot(app) != before


async def test_a_dry_run_foresees_the_last_superadmin(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    token, ids = await targets(app)

    dry = await client.post(
        "/api/v1/users/bulk-actions",
        json={"user_ids": ids, "action": "lock", "dry_run": True},
        headers=bearer(token),
    )

    assert outcomes(dry.json())[0] == (ids[0], True, None)
    assert outcomes(dry.json())[-1] == (ids[-1], False, "LAST_SUPERADMIN")


async def test_graphql_dry_run(app: FastAPI, client: httpx.AsyncClient) -> None:
    token, ids = await targets(app)
    before = await snapshot(app)

    body = await gql(
        client,
        """mutation($input: BulkUserActionInput!) { bulkUserAction(input: $input) {
          __typename
          ... on BulkUserActionPayload {
            dryRun affectedCount failedCount results { userId ok code }
          }
        } }""",
        {"input": {"userIds": ids, "action": "DELETE", "dryRun": True}},
        token=token,
    )

    payload = body["data"]["bulkUserAction"]
    assert (payload["dryRun"], payload["affectedCount"], payload["failedCount"]) == (True, 3, 2)
    assert [one["code"] for one in payload["results"]] == [
        None,
        None,
        None,
        "RESOURCE_NOT_FOUND",
        "LAST_SUPERADMIN",
    ]
    assert await snapshot(app) == before


async def test_malformed_bulk_ids_are_not_found(app: FastAPI, client: httpx.AsyncClient) -> None:
    _, token = await root(app)

    body = await gql(
        client,
        """mutation { bulkUserAction(input: {userIds: ["nope"], action: LOCK}) {
          __typename ... on Error { code field }
        } }""",
        token=token,
    )

    assert body["data"]["bulkUserAction"] == {
        "__typename": "NotFound",
        "code": "RESOURCE_NOT_FOUND",
        "field": "userIds",
    }
