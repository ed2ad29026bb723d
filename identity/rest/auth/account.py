"""My account: register, who am I, my profile, change my password, at every seed's path."""

from __future__ import annotations

from typing import Any

from identity.rest.auth import flows as auth_flows
from identity.rest.bodies import ChangePasswordBody, ProfileBody, RegisterBody
from identity.rest.deps import DepsDep, MetaDep, PrincipalDep
from identity.rest.responses.account import RegisteredOut, UserOut
from identity.rest.responses.mfa_login import PasswordChangeAnswer
from identity.rest.routing import row


async def register(body: RegisterBody, deps: DepsDep, meta: MetaDep) -> dict[str, Any]:
    return await auth_flows.register(deps, body, meta)


async def register_with_user(body: RegisterBody, deps: DepsDep, meta: MetaDep) -> dict[str, Any]:
    """Seed 002's flat user and seed 003's ``{user}`` together."""
    user = await auth_flows.register(deps, body, meta)
    return {**user, "user": user}


async def me(principal: PrincipalDep, deps: DepsDep) -> dict[str, Any]:
    return await auth_flows.me(deps, principal)


async def update_profile(
    body: ProfileBody, principal: PrincipalDep, deps: DepsDep, meta: MetaDep
) -> dict[str, Any]:
    return await auth_flows.update_profile(deps, body, principal, meta)


async def change_password(
    body: ChangePasswordBody, principal: auth_flows.PasswordChangerDep, deps: DepsDep
) -> dict[str, Any]:
    return await auth_flows.change_password(deps, body, principal)


ROUTES = (
    row(
        "POST",
        "/api/v1/auth/register",
        register,
        "Register",
        seeds="004",
        response=UserOut,
        status_code=201,
    ),
    row(
        "POST",
        "/auth/register",
        register,
        "Register",
        seeds="001",
        response=UserOut,
        status_code=201,
    ),
    row(
        "POST",
        "/v1/auth/register",
        register_with_user,
        "Register",
        seeds="002 003",
        response=RegisteredOut,
        status_code=201,
    ),
    row("GET", "/api/v1/auth/me", me, "The current user", seeds="000", response=UserOut),
    row("GET", "/api/v1/users/me", me, "My profile", seeds="004", response=UserOut),
    row("GET", "/v1/auth/me", me, "The current user", seeds="003", response=UserOut),
    row("GET", "/v1/auth/profile", me, "My profile", seeds="002", response=UserOut),
    row("GET", "/auth/me", me, "The current user", seeds="001", response=UserOut),
    row(
        "PUT",
        "/api/v1/users/me",
        update_profile,
        "Update my profile",
        seeds="004",
        response=UserOut,
    ),
    row(
        "PUT",
        "/v1/auth/profile",
        update_profile,
        "Update my profile",
        seeds="002",
        response=UserOut,
    ),
    row(
        "POST",
        "/api/v1/auth/change-password",
        change_password,
        "Change password",
        seeds="000 004",
        response=PasswordChangeAnswer,
    ),
    row(
        "POST",
        "/v1/auth/change-password",
        change_password,
        "Change password",
        seeds="003",
        response=PasswordChangeAnswer,
    ),
    row(
        "POST",
        "/v1/auth/password/change",
        change_password,
        "Change password",
        seeds="002",
        response=PasswordChangeAnswer,
    ),
)
