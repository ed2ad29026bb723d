"""A malformed id in a path gets the answer of a well-formed id that does not exist.

The rule (``identity.rest.params.Id``): on every REST route, an id that is not a UUID is read
as one no row carries, so ``/users/not-a-uuid`` answers exactly as ``/users/<unknown uuid>``:
401 without a token, 403 without the permission, else 404 ``RESOURCE_NOT_FOUND`` with the
resource's message. Ids cannot be probed by shape, and no route answers 422 for one.
The routes are found from the app, not listed by hand.
"""

from __future__ import annotations

import re
import uuid
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from fastapi.routing import APIRoute

from identity.rest.params import Id
from tests.factories import super_admin

MALFORMED = ("not-a-uuid", "123", "xyz", "00000000-0000-0000-0000-00000000000g")
# One body every route with an id accepts (models ignore what they do not know), so the
# request reaches the service.
BODY: dict[str, Any] = {
    "permission_ids": [str(uuid.uuid4())],
    "role_ids": [str(uuid.uuid4())],
    "permissions": [],
    "reason": "checking ids",
}
VOLATILE = ("timestamp", "request_id")


def id_routes(app: FastAPI) -> list[tuple[str, str, list[str]]]:
    """(method, path, names of its id parameters) of every route with an id in its path."""
    found = []
    for route in app.routes:
        if not isinstance(route, APIRoute):
            continue
        ids = [
            param.name
            for param in route.dependant.path_params
            if param.field_info.annotation is uuid.UUID or _is_id(param.field_info.metadata)
        ]
        if ids:
            found.extend((method, route.path, ids) for method in sorted(route.methods))
    return found


def _is_id(metadata: list[Any]) -> bool:
    return any(one in Id.__metadata__ for one in metadata)


def _url(path: str, ids: list[str], value: str) -> str:
    for name in ids:
        path = path.replace("{" + name + "}", value)
    assert not re.search(r"\{[^}]*\}", path), path
    return path


def _answer(response: httpx.Response) -> tuple[int, dict[str, Any]]:
    body = response.json()
    error = {key: value for key, value in body["error"].items() if key not in VOLATILE}
    return response.status_code, {**error, "detail": body.get("detail")}


async def _call(
    client: httpx.AsyncClient, method: str, url: str, headers: dict[str, str]
) -> httpx.Response:
    body = BODY if method in {"POST", "PUT", "PATCH", "DELETE"} else None
    return await client.request(method, url, json=body, headers=headers)


def test_the_id_routes_are_found(app: FastAPI) -> None:
    routes = {(method, path) for method, path, _ in id_routes(app)}
    assert ("GET", "/api/v1/users/{user_id}") in routes
    assert ("DELETE", "/v1/admin/roles/{role_id}/permissions/{permission_id}") in routes
    assert ("DELETE", "/v1/auth/sessions/{session_id}") in routes
    assert len(routes) >= 30


async def test_a_malformed_id_answers_as_an_unknown_one_everywhere(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    admin = await super_admin(app)
    differences = []
    statuses: dict[str, set[int]] = {"anonymous": set(), "super-admin": set()}
    for method, path, ids in id_routes(app):
        for who, headers in (("anonymous", {}), ("super-admin", admin.headers)):
            unknown = _answer(
                await _call(client, method, _url(path, ids, str(uuid.uuid4())), headers)
            )
            statuses[who].add(unknown[0])
            for value in MALFORMED:
                malformed = _answer(await _call(client, method, _url(path, ids, value), headers))
                if malformed != unknown:
                    differences.append((method, path, value, malformed, unknown))
    assert differences == []
    assert statuses == {"anonymous": {401}, "super-admin": {404}}


@pytest.mark.parametrize(
    ("path", "message"),
    [
        ("/api/v1/users/not-a-uuid", "User not found"),
        ("/v1/users/123", "User not found"),
        ("/api/v1/roles/xyz", "Role not found"),
        ("/v1/admin/roles/xyz/permissions", "Role not found"),
        ("/api/v1/permissions/xyz", "Permission not found"),
        ("/api/v1/users/xyz/roles", "User not found"),
    ],
)
async def test_a_malformed_id_is_not_found(
    app: FastAPI, client: httpx.AsyncClient, path: str, message: str
) -> None:
    admin = await super_admin(app)

    response = await client.get(path, headers=admin.headers)

    assert response.status_code == 404
    assert (response.json()["error"]["code"], response.json()["error"]["message"]) == (
        "RESOURCE_NOT_FOUND",
        message,
    )
