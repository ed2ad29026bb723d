"""Seeds 000 and 004: ``/api/v1/auth/*`` and ``/api/v1/users/me``."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request, Response

from identity.rest import auth_flows
from identity.rest.bodies import (
    ChangePasswordBody,
    LoginBody,
    ProfileBody,
    RefreshBody,
    RegisterBody,
)
from identity.rest.deps import DepsDep, MetaDep, PrincipalDep

router = APIRouter(prefix="/api/v1", tags=["auth (seeds 000, 004)"])
COOKIE_PATH = "/api/v1/auth"


@router.post("/auth/register", status_code=201, summary="Register (seed 004)")
async def register(body: RegisterBody, deps: DepsDep, meta: MetaDep) -> dict[str, Any]:
    return await auth_flows.register(deps, body, meta)


@router.post("/auth/login", summary="Log in (seeds 000, 004)")
async def login(
    body: LoginBody, deps: DepsDep, meta: MetaDep, response: Response
) -> dict[str, Any]:
    return await auth_flows.login(deps, body, meta, response)


@router.post("/auth/refresh", summary="Rotate the refresh token (seeds 000, 004)")
async def refresh(
    request: Request,
    deps: DepsDep,
    meta: MetaDep,
    response: Response,
    body: RefreshBody | None = None,
) -> dict[str, Any]:
    return await auth_flows.refresh(deps, body, request, meta, response, cookie_path=COOKIE_PATH)


@router.post("/auth/logout", status_code=204, summary="Log out (seeds 000, 004)")
async def logout(
    request: Request,
    deps: DepsDep,
    meta: MetaDep,
    response: Response,
    body: RefreshBody | None = None,
) -> None:
    await auth_flows.logout(deps, body, request, meta, response, cookie_path=COOKIE_PATH)


@router.get("/auth/me", summary="The current user (seed 000)")
async def me(principal: PrincipalDep, deps: DepsDep) -> dict[str, Any]:
    return await auth_flows.me(deps, principal)


@router.post("/auth/change-password", summary="Change password (seeds 000, 004)")
async def change_password(
    body: ChangePasswordBody, principal: auth_flows.PasswordChangerDep, deps: DepsDep
) -> dict[str, Any]:
    return await auth_flows.change_password(deps, body, principal)


@router.get("/users/me", summary="My profile (seed 004)")
async def my_profile(principal: PrincipalDep, deps: DepsDep) -> dict[str, Any]:
    return await auth_flows.me(deps, principal)


@router.put("/users/me", summary="Update my profile (seed 004)")
async def update_my_profile(
    body: ProfileBody, principal: PrincipalDep, deps: DepsDep, meta: MetaDep
) -> dict[str, Any]:
    return await auth_flows.update_profile(deps, body, principal, meta)
