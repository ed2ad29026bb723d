"""Listing users: pages, search, filters and order, on REST and GraphQL (cursors), on SQLite
and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import select
from sqlmodel import col

from identity.models import Role, UserRole
from tests.factories import add_user, token_for
from tests.support.app import runtime
from tests.support.graphql import gql
from tests.support.http import assert_error, bearer

BASE = datetime(2026, 1, 1, tzinfo=UTC)

# In creation order; the caller (root) was created a day before them all.
PEOPLE: list[dict[str, Any]] = [
    {
        "email": "alice@example.com",
        "username": "alice",
        "first_name": "Alice",
        "last_name": "Smith",
        "last_login": BASE + timedelta(hours=5),
    },
    {
        "email": "Bob@Example.com",
        "username": "bobby",
        "first_name": "Bob",
        "last_name": "Jones",
        "role": "admin1",
    },
    {
        "email": "carol@example.com",
        "first_name": "Carol",
        "last_name": "Smith",
        "display_name": "Caz",
        "status": "inactive",
        "is_active": False,
        "last_login": BASE + timedelta(hours=1),
    },
    {
        "email": "dave@test.org",
        "first_name": "Dave",
        "last_name": "O'Brien",
        "role": "admin2",
        "status": "locked",
        "last_login": BASE + timedelta(hours=3),
    },
    {
        "email": "erin@example.com",
        "first_name": "Erin",
        "last_name": "Smithers",
        "status": "pending",
    },
    {"email": "frank_50%@example.com", "first_name": "Frank"},
]
ROOT = "root@example.com"
IN_ORDER = [ROOT, *(person["email"] for person in PEOPLE)]


async def people(app: FastAPI) -> str:
    """Root's token, once everyone exists; Erin also holds admin3 through user_roles."""
    root_id = await add_user(app, ROOT, role="superadmin", created_at=BASE - timedelta(days=1))
    ids = []
    for index, person in enumerate(PEOPLE):
        fields = dict(person)
        email = fields.pop("email")
        ids.append(await add_user(app, email, created_at=BASE + timedelta(minutes=index), **fields))
    async with runtime(app).database.unit_of_work() as session:
        admin3 = await session.scalar(select(col(Role.id)).where(col(Role.name) == "admin3"))
        assert admin3 is not None
        session.add(UserRole(user_id=ids[4], role_id=admin3, created_at=BASE))
    return await token_for(app, root_id)


async def emails(client: httpx.AsyncClient, token: str, query: str) -> list[str]:
    response = await client.get(f"/api/v1/users?{query}", headers=bearer(token))
    assert response.status_code == 200, response.text
    return [item["email"] for item in response.json()["items"]]


async def test_pages_cover_everyone_once_in_order(app: FastAPI, client: httpx.AsyncClient) -> None:
    token = await people(app)

    pages = [
        (await client.get(f"/api/v1/users?page={page}&size=2", headers=bearer(token))).json()
        for page in (1, 2, 3, 4, 5)
    ]

    assert [[item["email"] for item in page["items"]] for page in pages] == [
        IN_ORDER[0:2],
        IN_ORDER[2:4],
        IN_ORDER[4:6],
        IN_ORDER[6:],
        [],
    ]
    assert {(page["total"], page["pages"], page["size"]) for page in pages} == {(7, 4, 2)}
    assert [page["page"] for page in pages] == [1, 2, 3, 4, 5]


async def test_skip_and_limit(app: FastAPI, client: httpx.AsyncClient) -> None:
    token = await people(app)

    assert await emails(client, token, "skip=2&limit=3") == IN_ORDER[2:5]
    assert await emails(client, token, "skip=6&limit=100") == IN_ORDER[6:]


@pytest.mark.parametrize(
    ("search", "found"),
    [
        ("smith", ["alice@example.com", "carol@example.com", "erin@example.com"]),
        ("ALICE", ["alice@example.com"]),
        ("bobby", ["Bob@Example.com"]),
        ("bob@example", ["Bob@Example.com"]),
        ("caz", ["carol@example.com"]),
        ("alice smith", ["alice@example.com"]),
        ("o'brien", ["dave@test.org"]),
        ("50%", ["frank_50%@example.com"]),
        ("_", ["frank_50%@example.com"]),
        ("test.ORG", ["dave@test.org"]),
        ("nobody", []),
    ],
)
async def test_search_is_case_insensitive_on_email_username_and_names(
    app: FastAPI, client: httpx.AsyncClient, search: str, found: list[str]
) -> None:
    token = await people(app)

    response = await client.get(
        "/api/v1/users", params={"search": search, "size": 100}, headers=bearer(token)
    )

    assert [item["email"] for item in response.json()["items"]] == found
    assert response.json()["total"] == len(found)


@pytest.mark.parametrize(
    ("query", "found"),
    [
        ("role=admin1", ["Bob@Example.com"]),
        ("role=admin3", ["erin@example.com"]),  # held through user_roles
        ("role=superadmin", [ROOT]),
        ("status=inactive", ["carol@example.com"]),
        ("status=locked", ["dave@test.org"]),
        ("status=pending", ["erin@example.com"]),
        ("is_active=false", ["carol@example.com"]),
        ("search=smith&status=active", ["alice@example.com"]),
        ("search=smith&is_active=true", ["alice@example.com", "erin@example.com"]),
    ],
)
async def test_filters(
    app: FastAPI, client: httpx.AsyncClient, query: str, found: list[str]
) -> None:
    token = await people(app)

    assert await emails(client, token, f"{query}&size=100") == found


@pytest.mark.parametrize(
    ("query", "found"),
    [
        ("sort=created_at&order=asc", IN_ORDER),
        ("sort=created_at&order=desc", IN_ORDER[::-1]),
        ("sort=email&order=asc", sorted(IN_ORDER, key=str.lower)),
        ("sort=email&order=desc", sorted(IN_ORDER, key=str.lower, reverse=True)),
    ],
)
async def test_order(app: FastAPI, client: httpx.AsyncClient, query: str, found: list[str]) -> None:
    token = await people(app)

    assert await emails(client, token, f"{query}&size=100") == found


@pytest.mark.parametrize("order", ["asc", "desc"])
async def test_by_last_login_the_never_logged_in_come_last(
    app: FastAPI, client: httpx.AsyncClient, order: str
) -> None:
    token = await people(app)

    found = await emails(client, token, f"sort=last_login&order={order}&size=100")

    logged_in = ["carol@example.com", "dave@test.org", "alice@example.com"]
    assert found[:3] == (logged_in if order == "asc" else logged_in[::-1])
    assert set(found[3:]) == {ROOT, "Bob@Example.com", "erin@example.com", "frank_50%@example.com"}


async def test_admins_are_those_whose_role_is_not_user(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    token = await people(app)

    response = await client.get("/api/v1/admin/users?sort=email", headers=bearer(token))

    assert [item["email"] for item in response.json()["items"]] == [
        "Bob@Example.com",
        "dave@test.org",
        ROOT,
    ]


@pytest.mark.parametrize(
    "query", ["size=101", "size=0", "page=0", "limit=101", "skip=-1", "sort=name", "order=up"]
)
async def test_bad_list_parameters_are_422(
    app: FastAPI, client: httpx.AsyncClient, query: str
) -> None:
    token = await people(app)

    response = await client.get(f"/api/v1/users?{query}", headers=bearer(token))

    assert_error(response, 422, "VALIDATION_ERROR")


# --- GraphQL: cursors ----------------------------------------------------------------------

USERS = """
query Users($first: Int!, $after: String, $filter: UserFilter, $orderBy: UserOrder) {
  users(first: $first, after: $after, filter: $filter, orderBy: $orderBy) {
    totalCount
    edges { cursor node { email } }
    pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
  }
}
"""


async def test_cursors_walk_every_page(app: FastAPI, client: httpx.AsyncClient) -> None:
    token = await people(app)
    seen: list[str] = []
    after = None
    pages = []

    while True:
        body = await gql(client, USERS, {"first": 3, "after": after}, token=token)
        page = body["data"]["users"]
        pages.append(page)
        seen += [edge["node"]["email"] for edge in page["edges"]]
        if not page["pageInfo"]["hasNextPage"]:
            break
        after = page["pageInfo"]["endCursor"]

    assert seen == IN_ORDER
    assert [page["totalCount"] for page in pages] == [7, 7, 7]
    assert [page["pageInfo"]["hasPreviousPage"] for page in pages] == [False, True, True]
    assert pages[0]["pageInfo"]["startCursor"] == pages[0]["edges"][0]["cursor"]
    assert not pages[1]["pageInfo"]["endCursor"].isdigit()  # opaque, not a bare number
    beyond = await gql(
        client, USERS, {"first": 3, "after": pages[-1]["pageInfo"]["endCursor"]}, token=token
    )
    assert beyond["data"]["users"]["edges"] == []
    assert beyond["data"]["users"]["pageInfo"]["endCursor"] is None


async def test_graphql_filter_and_order(app: FastAPI, client: httpx.AsyncClient) -> None:
    token = await people(app)

    body = await gql(
        client,
        USERS,
        {
            "first": 10,
            "filter": {"search": "SMITH", "isActive": True},
            "orderBy": {"field": "EMAIL", "direction": "DESC"},
        },
        token=token,
    )
    admins = await gql(
        client,
        USERS,
        {"first": 10, "filter": {"adminsOnly": True, "status": "LOCKED"}},
        token=token,
    )

    assert [edge["node"]["email"] for edge in body["data"]["users"]["edges"]] == [
        "erin@example.com",
        "alice@example.com",
    ]
    assert [edge["node"]["email"] for edge in admins["data"]["users"]["edges"]] == ["dave@test.org"]


@pytest.mark.parametrize(
    "variables", [{"first": 101}, {"first": -1}, {"first": 2, "after": "bm90LWEtY3Vyc29y"}]
)
async def test_graphql_bad_pages_are_validation_errors(
    app: FastAPI, client: httpx.AsyncClient, variables: dict[str, Any]
) -> None:
    token = await people(app)

    body = await gql(client, USERS, variables, token=token)

    assert body["errors"][0]["extensions"]["code"] == "VALIDATION_ERROR"
