"""The users connection's keyset cursors: every order walked a page at a time against the
order computed here, ties on the sort key, never-logged-in accounts, refused cursors (one
code), a cursor past the end, and a tenant administrator's crafted cursor. SQLite and
PostgreSQL."""

from __future__ import annotations

import base64
import struct
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from identity.services.users_admin import SortField, SortOrder
from identity.services.users_admin.shapes import UserPosition, UserQuery
from schema.types.pagination import encode_cursor, encode_position, keyset_prefix
from tests.factories import add_user, new_tenant, tenant_admin, tenant_member, token_for
from tests.support.graphql import gql
from tests.support.statements import counting

BASE = datetime(2026, 1, 1, tzinfo=UTC)
USERS = """
query Users($first: Int!, $after: String, $filter: UserFilter, $orderBy: UserOrder) {
  users(first: $first, after: $after, filter: $filter, orderBy: $orderBy) {
    edges { cursor node { id email } }
    pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
  }
}
"""
COUNTED = """{ users(first: 2) { totalCount edges { node { email } } } }"""


async def everyone(app: FastAPI) -> tuple[str, list[dict[str, Any]]]:
    """Root's token, and every account with what it is ordered by: three created at the
    same instant, two logged in at the same instant, four never."""
    people: list[dict[str, Any]] = []
    root_id = await add_user(app, "root@example.com", role="superadmin", created_at=BASE)
    people.append({"id": root_id, "email": "root@example.com", "at": BASE, "login": None})
    logins = [None, BASE + timedelta(hours=2), BASE + timedelta(hours=2), None, None]
    logins += [BASE + timedelta(hours=1), BASE + timedelta(hours=3), None]
    for number, login in enumerate(logins):
        at = BASE + timedelta(minutes=1 if number < 3 else number)
        email = f"{'zyxwvutsrq'[number]}person{number}@example.com"
        user_id = await add_user(app, email, created_at=at, last_login=login)
        people.append({"id": user_id, "email": email, "at": at, "login": login})
    return await token_for(app, root_id), people


def expected(people: list[dict[str, Any]], sort: SortField, order: SortOrder) -> list[str]:
    """The order computed here: the key, ties by id (as the databases compare uuids), never
    logged in last whichever the direction."""
    descending = order is SortOrder.DESC

    def key(person: dict[str, Any]) -> Any:
        return {
            SortField.CREATED_AT: person["at"],
            SortField.EMAIL: person["email"],
            SortField.LAST_LOGIN: person["login"],
        }[sort], person["id"].hex

    present = [one for one in people if key(one)[0] is not None]
    absent = [one for one in people if key(one)[0] is None]
    ordered = sorted(present, key=key, reverse=descending)
    ordered += sorted(absent, key=lambda one: one["id"].hex, reverse=descending)
    return [one["email"] for one in ordered]


async def walk(
    client: httpx.AsyncClient, token: str, order: dict[str, str], first: int = 2
) -> list[str]:
    seen: list[str] = []
    after = None
    for _ in range(20):
        variables = {"first": first, "after": after, "orderBy": order}
        page = (await gql(client, USERS, variables, token=token))["data"]["users"]
        seen += [edge["node"]["email"] for edge in page["edges"]]
        assert page["pageInfo"]["hasPreviousPage"] is (after is not None)
        if not page["pageInfo"]["hasNextPage"]:
            return seen
        after = page["pageInfo"]["endCursor"]
        assert after == page["edges"][-1]["cursor"]
    raise AssertionError("more pages than accounts")


async def test_every_order_walks_every_account_once(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    token, people = await everyone(app)

    for sort in SortField:
        for order in SortOrder:
            walked = await walk(client, token, {"field": sort.name, "direction": order.name})
            assert walked == expected(people, sort, order), (sort, order)


async def refused(
    client: httpx.AsyncClient, token: str, after: str, **variables: Any
) -> dict[str, Any]:
    body = await gql(client, USERS, {"first": 2, "after": after, **variables}, token=token)
    assert body["data"] is None or body["data"]["users"] is None, body
    error: dict[str, Any] = body["errors"][0]["extensions"]
    return error


async def test_a_cursor_is_refused_unless_made_for_the_same_order_and_filters(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    token, _ = await everyone(app)
    page = (await gql(client, USERS, {"first": 2}, token=token))["data"]["users"]
    cursor = page["pageInfo"]["endCursor"]
    email_order = {"field": "EMAIL", "direction": "ASC"}
    someone = uuid.uuid4().bytes

    def forged(packed: bytes) -> str:
        return base64.urlsafe_b64encode(packed).decode()

    short_time = forged(keyset_prefix(UserQuery()) + someone + b"\x00\x01\x02")
    far_time = forged(keyset_prefix(UserQuery()) + someone + struct.pack(">q", 2**62))
    no_email = forged(keyset_prefix(UserQuery(sort=SortField.EMAIL)) + someone)
    cases = [
        ({"after": "not-a-cursor"}, "garbage"),
        ({"after": cursor[:-6]}, "truncated"),
        ({"after": encode_cursor(3)}, "an offset cursor of the previous version"),
        ({"after": cursor, "orderBy": email_order}, "another order"),
        ({"after": cursor, "orderBy": {"field": "CREATED_AT", "direction": "DESC"}}, "desc"),
        ({"after": cursor, "filter": {"search": "person"}}, "another filter"),
        ({"after": short_time}, "a time of three bytes"),
        ({"after": far_time}, "a time past the year 9999"),
        ({"after": no_email, "orderBy": email_order}, "an empty address"),
        ({"after": "x" * 5000}, "oversized"),
    ]

    for variables, why in cases:
        error = await refused(client, token, **variables)
        assert error == {"code": "VALIDATION_ERROR", "field": "after"}, why


async def test_a_cursor_past_the_end_is_an_empty_last_page(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    token, people = await everyone(app)
    beyond = UserPosition(BASE + timedelta(days=365), uuid.UUID(int=0))
    after = encode_position(keyset_prefix(UserQuery()), beyond)

    page = (await gql(client, USERS, {"first": 2, "after": after}, token=token))["data"]["users"]

    assert page["edges"] == []
    assert page["pageInfo"]["hasNextPage"] is False
    assert page["pageInfo"]["endCursor"] is None
    last = (await gql(client, USERS, {"first": len(people)}, token=token))["data"]["users"]
    assert last["pageInfo"]["hasNextPage"] is False


async def test_a_tenant_admin_crafting_cursors_sees_their_members_alone(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    ours, theirs = await new_tenant(app), await new_tenant(app)
    admin = await tenant_admin(app, ours, "admin@ours.example")
    member = await tenant_member(app, ours, "member@ours.example")
    await tenant_member(app, theirs, "stranger@theirs.example")
    await add_user(app, "nobody@nowhere.example")
    before_everyone = UserPosition(BASE - timedelta(days=3650), uuid.UUID(int=0))
    crafted = [
        encode_position(keyset_prefix(UserQuery()), before_everyone),
        encode_position(
            keyset_prefix(UserQuery(sort=SortField.EMAIL)),
            UserPosition("a", uuid.UUID(int=0)),
        ),
    ]
    orders = [None, {"field": "EMAIL", "direction": "ASC"}]

    seen = set()
    for after, order in zip(crafted, orders, strict=True):
        variables = {"first": 100, "after": after, "orderBy": order}
        body = await gql(client, USERS, variables, token=admin.token)
        seen |= {edge["node"]["email"] for edge in body["data"]["users"]["edges"]}

    assert seen == {"admin@ours.example", "member@ours.example"}, member


async def test_the_total_is_counted_only_when_selected(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    token, people = await everyone(app)

    with counting(app) as without:
        await gql(client, USERS, {"first": 2}, token=token)
    with counting(app) as counted:
        body = await gql(client, COUNTED, token=token)

    assert not any("count(" in one.lower() for one in without.queries)
    assert sum("count(" in one.lower() for one in counted.queries) == 1
    assert body["data"]["users"]["totalCount"] == len(people)


@pytest.mark.parametrize("first", [1, 3])
async def test_first_page_sizes_end_on_the_last_account(
    app: FastAPI, client: httpx.AsyncClient, first: int
) -> None:
    token, people = await everyone(app)

    walked = await walk(client, token, {"field": "CREATED_AT", "direction": "ASC"}, first)

    assert walked == expected(people, SortField.CREATED_AT, SortOrder.ASC)
