"""Routes answered directly (``identity.rest.direct``) answer what FastAPI would.

Each bad body goes to the direct login and refresh routes and to the same handlers served
by FastAPI's own ``APIRoute`` (added for the test): the same status and the same JSON.
"""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from fastapi import FastAPI, Request, Response
from fastapi.responses import JSONResponse
from fastapi.routing import APIRoute

from identity.rest.auth import flows as auth_flows
from identity.rest.auth.flows import DeviceLoginBody
from identity.rest.bodies import RefreshBody
from identity.rest.deps import DepsDep, MetaDep
from identity.rest.direct import _render, direct_parameters


async def login_by_fastapi(
    body: DeviceLoginBody, deps: DepsDep, meta: MetaDep, request: Request, response: Response
) -> dict[str, Any]:
    return await auth_flows.login(deps, body, meta, request, response)


async def refresh_by_fastapi(
    request: Request,
    deps: DepsDep,
    meta: MetaDep,
    response: Response,
    body: RefreshBody | None = None,
) -> dict[str, Any]:
    return await auth_flows.refresh(deps, body, request, meta, response, cookie_path="/api/v1/auth")


@pytest.fixture
def compared(app: FastAPI) -> FastAPI:
    app.router.routes.insert(0, APIRoute("/fastapi/login", login_by_fastapi, methods=["POST"]))
    app.router.routes.insert(0, APIRoute("/fastapi/refresh", refresh_by_fastapi, methods=["POST"]))
    return app


BODIES: dict[str, tuple[bytes, str | None]] = {
    "invalid JSON": (b'{"email": ', "application/json"),
    "invalid UTF-8": (b'{"\xb8\x13": 1}', "application/json"),
    "a JSON string": (b'"text"', "application/json"),
    "a JSON list": (b"[1, 2]", "application/json"),
    "a field of the wrong type": (
        b'{"email": 3, "password": [], "refresh_token": 4}',
        "application/json",
    ),
    "empty": (b"", "application/json"),
    "form-encoded": (b"email=a%40b.c&password=x", "application/x-www-form-urlencoded"),
    "no content type": (b'{"email": "a@b.c", "password": "x"}', None),
    "a +json subtype": (b'{"refresh_token": 5}', "application/vnd.api+json; charset=utf-8"),
}


@pytest.mark.parametrize("route", ["login", "refresh"])
@pytest.mark.parametrize("name", sorted(BODIES))
async def test_a_bad_body_is_answered_as_fastapi_answers_it(
    compared: FastAPI, client: httpx.AsyncClient, route: str, name: str
) -> None:
    content, content_type = BODIES[name]
    headers = {"Content-Type": content_type} if content_type else {}

    direct = await client.post(f"/api/v1/auth/{route}", content=content, headers=headers)
    by_fastapi = await client.post(f"/fastapi/{route}", content=content, headers=headers)

    assert direct.status_code == by_fastapi.status_code, (direct.text, by_fastapi.text)
    assert direct.status_code in (400, 401, 422)
    mine, theirs = direct.json(), by_fastapi.json()
    for answer in (mine, theirs):
        answer.get("error", {}).pop("request_id", None)
        answer.pop("request_id", None)
        answer.get("error", {}).pop("timestamp", None)
        answer.pop("timestamp", None)
    assert mine == theirs


@pytest.mark.parametrize("path", ["/api/v1/auth/login", "/v1/auth/refresh", "/auth/token/refresh"])
def test_the_hot_writes_are_answered_directly(app: FastAPI, path: str) -> None:
    (route,) = [one for one in app.router.routes if getattr(one, "path", None) == path]
    assert isinstance(route, APIRoute)
    assert direct_parameters(route.dependant) is not None


@pytest.mark.parametrize(
    "content",
    [
        {"user": {"name": "Zoë 山田", "roles": ["a", "b"], "active": True, "plan": None}},
        {"expires_in": 900, "ratio": 0.25, "nested": [[1, 2], {"k": '\u2028 "quoted" \\'}]},
        [],
        "text",
    ],
)
def test_a_direct_answer_writes_the_bytes_fastapi_writes(content: Any) -> None:
    assert _render(content) == JSONResponse(content).body
