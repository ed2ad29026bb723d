"""The factories and support helpers mean what their names say, on SQLite and PostgreSQL."""

from __future__ import annotations

import httpx
from fastapi import FastAPI

from tests.factories import ROOT, add_user, caller, root, super_admin
from tests.support.audit import audit_events
from tests.support.graphql import gql, gql_field, outcome
from tests.support.http import ME
from tests.support.statements import counting


async def test_root_is_root_at_example_and_super_admins_are_each_new(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    # given
    the_root = await root(app)
    first, second = await super_admin(app), await super_admin(app)

    # when
    answers = [(await client.get(ME, headers=one.headers)).json() for one in (the_root, first)]
    user_id, token = second

    # then
    assert answers[0]["email"] == ROOT
    assert answers[1]["email"] != ROOT
    assert {the_root.id, first.id, user_id} == {the_root.id, first.id, second.id}
    assert len({the_root.id, first.id, second.id}) == 3
    assert token == second.token


async def test_caller_permissions_come_through_a_role_of_its_own(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    reader = await caller(app, permissions=["users:read"])
    plain = await caller(app)
    document = "{ users(first: 1) { __typename } }"

    allowed = await gql_field(client, document, token=reader.token)
    refused = await gql(client, document, token=plain.token)

    assert allowed == {"__typename": "UserConnection"}
    assert outcome(refused, "users") == "PERMISSION_DENIED"


async def test_add_user_grants_permissions_directly(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    admin = await super_admin(app)
    someone = await add_user(app, permissions=["audit:read"])

    response = await client.get(f"/api/v1/users/{someone}", headers=admin.headers)

    assert response.status_code == 200, response.text
    assert "audit:read" in response.json()["permissions"]


async def test_the_statement_counter_and_audit_reader(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    # given
    admin = await super_admin(app)
    target = await add_user(app)
    bystander = await add_user(app)

    # when
    with counting(app) as counter:
        response = await client.post(
            f"/api/v1/users/{target}/lock", json={"reason": "test"}, headers=admin.headers
        )

    # then
    assert response.status_code == 200, response.text
    assert counter.writes
    assert len(counter) >= len(counter.queries) >= len(counter.writes)
    [event] = await audit_events(app, user=target)
    assert target in (event.actor_id, event.subject_id)
    assert await audit_events(app, event.event_type) == [event]
    assert await audit_events(app, user=bystander) == []
