"""Seed 001: ``/auth/*``, with the refresh token in an HttpOnly cookie and CSRF."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request, Response

from identity.rest import auth_flows
from identity.rest.bodies import LoginBody, RegisterBody
from identity.rest.deps import DepsDep, MetaDep, PrincipalDep

router = APIRouter(prefix="/auth", tags=["auth (seed 001)"])
COOKIE_PATH = "/auth"


@router.post("/register", status_code=201, summary="Register (seed 001)")
async def register(body: RegisterBody, deps: DepsDep, meta: MetaDep) -> dict[str, Any]:
    return await auth_flows.register(deps, body, meta)


@router.post("/token", summary="Log in; refresh token in an HttpOnly cookie (seed 001)")
async def token(
    body: LoginBody, deps: DepsDep, meta: MetaDep, response: Response
) -> dict[str, Any]:
    return await auth_flows.login(deps, body, meta, response, cookie_path=COOKIE_PATH)


@router.post("/token/refresh", summary="Refresh from the cookie; needs X-CSRF-Token (seed 001)")
async def token_refresh(
    request: Request, deps: DepsDep, meta: MetaDep, response: Response
) -> dict[str, Any]:
    return await auth_flows.refresh(deps, None, request, meta, response, cookie_path=COOKIE_PATH)


@router.post("/logout", summary="Log out (seed 001)")
async def logout(
    request: Request, deps: DepsDep, meta: MetaDep, response: Response
) -> dict[str, str]:
    await auth_flows.logout(deps, None, request, meta, response, cookie_path=COOKIE_PATH)
    return {"message": "Logout successful"}


@router.get("/me", summary="The current user (seed 001)")
async def me(principal: PrincipalDep, deps: DepsDep) -> dict[str, Any]:
    return await auth_flows.me(deps, principal)
