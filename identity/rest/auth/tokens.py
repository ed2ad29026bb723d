"""Sign in and out: log in, rotate the refresh token, log out, at every seed's path.

Seeds 000, 002, 003 and 004 carry the refresh token in bodies; seed 001 (``/auth/token*``)
in an HttpOnly cookie with a CSRF double submit. A body-less refresh or logout on the other
paths reads the cookie too, scoped to the path family the request came by.
"""

from __future__ import annotations

from typing import Any

from fastapi import Request, Response

from identity.rest.auth import flows as auth_flows
from identity.rest.auth.flows import DeviceLoginBody
from identity.rest.bodies import RefreshBody
from identity.rest.deps import DepsDep, MetaDep
from identity.rest.direct import reads_body
from identity.rest.responses.account import LoginOut, Message
from identity.rest.responses.mfa_login import LoginAnswer
from identity.rest.routing import row

LEGACY_COOKIE_PATH = "/auth"
# The cookie of each path family; the first prefix the request's path starts with wins.
COOKIE_PATHS = ("/api/v1/auth", "/v1/auth", LEGACY_COOKIE_PATH)


def cookie_path(request: Request) -> str:
    path: str = request.scope["path"]  # what ``request.url.path`` parses a whole URL for
    return next(each for each in COOKIE_PATHS if path.startswith(f"{each}/"))


@reads_body
async def login(
    body: DeviceLoginBody, deps: DepsDep, meta: MetaDep, request: Request, response: Response
) -> dict[str, Any]:
    return await auth_flows.login(deps, body, meta, request, response)


@reads_body
async def cookie_login(
    body: DeviceLoginBody, deps: DepsDep, meta: MetaDep, request: Request, response: Response
) -> dict[str, Any]:
    return await auth_flows.login(
        deps, body, meta, request, response, cookie_path=LEGACY_COOKIE_PATH
    )


@reads_body
async def refresh(
    request: Request,
    deps: DepsDep,
    meta: MetaDep,
    response: Response,
    body: RefreshBody | None = None,
) -> dict[str, Any]:
    return await auth_flows.refresh(
        deps, body, request, meta, response, cookie_path=cookie_path(request)
    )


@reads_body
async def cookie_refresh(
    request: Request, deps: DepsDep, meta: MetaDep, response: Response
) -> dict[str, Any]:
    return await auth_flows.refresh(
        deps, None, request, meta, response, cookie_path=LEGACY_COOKIE_PATH
    )


@reads_body
async def logout_quietly(
    request: Request,
    deps: DepsDep,
    meta: MetaDep,
    response: Response,
    body: RefreshBody | None = None,
) -> None:
    await auth_flows.logout(deps, body, request, meta, response, cookie_path=cookie_path(request))


@reads_body
async def logout(
    request: Request,
    deps: DepsDep,
    meta: MetaDep,
    response: Response,
    body: RefreshBody | None = None,
) -> dict[str, str]:
    await auth_flows.logout(deps, body, request, meta, response, cookie_path=cookie_path(request))
    return {"message": "Logged out"}


@reads_body
async def cookie_logout(
    request: Request, deps: DepsDep, meta: MetaDep, response: Response
) -> dict[str, str]:
    await auth_flows.logout(deps, None, request, meta, response, cookie_path=LEGACY_COOKIE_PATH)
    return {"message": "Logout successful"}


ROUTES = (
    row("POST", "/api/v1/auth/login", login, "Log in", seeds="000 004", response=LoginAnswer),
    row(
        "POST",
        "/v1/auth/login",
        login,
        "Log in: flat tokens (002) and {user, tokens} (003)",
        seeds="002 003",
        response=LoginAnswer,
    ),
    row(
        "POST",
        "/auth/token",
        cookie_login,
        "Log in; refresh token in an HttpOnly cookie",
        seeds="001",
        response=LoginAnswer,
    ),
    row(
        "POST",
        "/api/v1/auth/refresh",
        refresh,
        "Rotate the refresh token",
        seeds="000 004",
        response=LoginOut,
    ),
    row(
        "POST",
        "/v1/auth/refresh",
        refresh,
        "Rotate the refresh token",
        seeds="002 003",
        response=LoginOut,
    ),
    row(
        "POST",
        "/auth/token/refresh",
        cookie_refresh,
        "Refresh from the cookie; needs X-CSRF-Token",
        seeds="001",
        response=LoginOut,
    ),
    row(
        "POST",
        "/api/v1/auth/logout",
        logout_quietly,
        "Log out",
        seeds="000 004",
        status_code=204,
    ),
    row(
        "POST",
        "/v1/auth/logout",
        logout,
        "Log out by bearer (003) or refresh token (002)",
        seeds="002 003",
        response=Message,
    ),
    row("POST", "/auth/logout", cookie_logout, "Log out", seeds="001", response=Message),
)
