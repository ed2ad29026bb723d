"""Seeds 002 and 003: ``/v1/auth/*``."""

from __future__ import annotations

import uuid
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
from identity.rest.shapes import session_json
from identity.services import runtime_settings, sessions

router = APIRouter(prefix="/v1/auth", tags=["auth (seeds 002, 003)"])
COOKIE_PATH = "/v1/auth"


@router.post("/register", status_code=201, summary="Register (seeds 002, 003)")
async def register(body: RegisterBody, deps: DepsDep, meta: MetaDep) -> dict[str, Any]:
    user = await auth_flows.register(deps, body, meta)
    return {**user, "user": user}


@router.post("/login", summary="Log in: flat tokens (002) and {user, tokens} (003)")
async def login(
    body: LoginBody, deps: DepsDep, meta: MetaDep, response: Response
) -> dict[str, Any]:
    return await auth_flows.login(deps, body, meta, response)


@router.post("/refresh", summary="Rotate the refresh token (seeds 002, 003)")
async def refresh(
    request: Request,
    deps: DepsDep,
    meta: MetaDep,
    response: Response,
    body: RefreshBody | None = None,
) -> dict[str, Any]:
    return await auth_flows.refresh(deps, body, request, meta, response, cookie_path=COOKIE_PATH)


@router.post("/logout", summary="Log out by bearer (003) or refresh token (002)")
async def logout(
    request: Request,
    deps: DepsDep,
    meta: MetaDep,
    response: Response,
    body: RefreshBody | None = None,
) -> dict[str, str]:
    await auth_flows.logout(deps, body, request, meta, response, cookie_path=COOKIE_PATH)
    return {"message": "Logged out"}


@router.get("/me", summary="The current user (seed 003)")
async def me(principal: PrincipalDep, deps: DepsDep) -> dict[str, Any]:
    return await auth_flows.me(deps, principal)


@router.get("/settings", summary="Public authentication settings (seed 003)")
async def public_settings(deps: DepsDep) -> dict[str, Any]:
    # The runtime settings' public part; MFA is not offered yet.
    return {**await runtime_settings.public_settings(deps), "mfa_enabled": False}


@router.post("/change-password", summary="Change password (seed 003)")
async def change_password(
    body: ChangePasswordBody, principal: auth_flows.PasswordChangerDep, deps: DepsDep
) -> dict[str, Any]:
    return await auth_flows.change_password(deps, body, principal)


@router.post("/password/change", summary="Change password (seed 002)")
async def password_change(
    body: ChangePasswordBody, principal: auth_flows.PasswordChangerDep, deps: DepsDep
) -> dict[str, Any]:
    return await auth_flows.change_password(deps, body, principal)


@router.get("/profile", summary="My profile (seed 002)")
async def profile(principal: PrincipalDep, deps: DepsDep) -> dict[str, Any]:
    return await auth_flows.me(deps, principal)


@router.put("/profile", summary="Update my profile (seed 002)")
async def update_profile(
    body: ProfileBody, principal: PrincipalDep, deps: DepsDep, meta: MetaDep
) -> dict[str, Any]:
    return await auth_flows.update_profile(deps, body, principal, meta)


@router.get("/sessions", summary="My active sessions (seed 002)")
async def list_sessions(principal: PrincipalDep, deps: DepsDep) -> dict[str, Any]:
    found = await sessions.active_sessions(deps, user_id=principal.user_id)
    return {"sessions": [session_json(one, current_id=principal.session_id) for one in found]}


@router.delete("/sessions/{session_id}", summary="End one of my sessions (seed 002)")
async def revoke_session(
    session_id: uuid.UUID, principal: PrincipalDep, deps: DepsDep
) -> dict[str, str]:
    await sessions.revoke_session(deps, principal=principal, session_id=session_id)
    return {"message": "Session revoked"}


@router.delete("/sessions", summary="End all my sessions but this one (seed 002)")
async def revoke_other_sessions(principal: PrincipalDep, deps: DepsDep) -> dict[str, Any]:
    count = await sessions.revoke_other_sessions(deps, principal=principal)
    return {"message": "Other sessions revoked", "revoked": count}


@router.post("/revoke-all-sessions", summary="End all my sessions (seed 003)")
async def revoke_all_sessions(principal: PrincipalDep, deps: DepsDep) -> dict[str, Any]:
    count = await sessions.revoke_all_sessions(deps, principal=principal)
    return {"message": "All sessions revoked", "revoked": count}
