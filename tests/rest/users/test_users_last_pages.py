"""REST pages past the middle are read backwards from the end (the last page costs what the
first does): every page, in every order, equals the same slice of the whole list read in
one page. SQLite and PostgreSQL."""

from __future__ import annotations

import httpx
from fastapi import FastAPI

from tests.rest.users.test_users_listing import people
from tests.support.http import bearer

ORDERS = [
    "sort=created_at&order=asc",
    "sort=created_at&order=desc",
    "sort=email&order=desc",
    "sort=last_login&order=asc",
    "sort=last_login&order=desc",
    "sort=created_at&order=asc&search=example.com",
]


async def listed(client: httpx.AsyncClient, token: str, path: str) -> dict[str, object]:
    response = await client.get(path, headers=bearer(token))
    assert response.status_code == 200, response.text
    body: dict[str, object] = response.json()
    return body


def emails(items: object) -> list[str]:
    assert isinstance(items, list)
    return [item["email"] for item in items]


async def test_every_page_is_the_slice_of_the_whole(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    token = await people(app)

    for order in ORDERS:
        whole = emails((await listed(client, token, f"/api/v1/users?size=100&{order}"))["items"])
        total = len(whole)
        for size in (2, 3):
            for page in range(1, total // size + 3):
                path = f"/api/v1/users?page={page}&size={size}&{order}"
                body = await listed(client, token, path)
                start = (page - 1) * size
                assert emails(body["items"]) == whole[start : start + size], path
                assert body["total"] == total
        for skip in (total - 1, total, total + 5):
            path = f"/api/v1/users?skip={skip}&limit=2&{order}"
            assert emails((await listed(client, token, path))["items"]) == whole[skip:][:2]
            path = f"/v1/users?offset={skip}&limit=2&{order}"
            body = await listed(client, token, path)
            assert emails(body["users"]) == whole[skip:][:2]
            assert body["count"] == len(whole[skip:][:2])


async def test_a_listed_account_is_its_own_answer(app: FastAPI, client: httpx.AsyncClient) -> None:
    token = await people(app)

    body = await listed(client, token, "/api/v1/users?size=100")
    items = body["items"]
    assert isinstance(items, list)
    for item in items:
        one = await listed(client, token, f"/api/v1/users/{item['id']}")
        assert item == one
