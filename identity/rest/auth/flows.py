"""What the auth routes of every seed share: one adapter per operation, both token modes."""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from fastapi import Depends, Request, Response

from identity.errors import (
    AuthenticationRequired,
    SelfRegistrationClosed,
    TokenInvalid,
    ValidationFailed,
)
from identity.principal import Principal, RequestMeta
from identity.rest.bodies import (
    ChangePasswordBody,
    LoginBody,
    ProfileBody,
    RefreshBody,
    RegisterBody,
)
from identity.rest.deps import DepsDep, MetaDep
from identity.rest.shapes import login_json, password_change_json, user_json
from identity.services import accounts, auth
from identity.services.deps import Deps
from identity.services.tokens import PasswordChangeToken
from identity.web.cookies import clear_auth_cookies, set_auth_cookies
from identity.web.credentials import principal_from, refresh_credential


async def register(deps: Deps, body: RegisterBody, meta: RequestMeta) -> dict[str, Any]:
    """Seed 004's ``organization_id`` joins that tenant, when it takes self-registrations."""
    tenant_id: uuid.UUID | None = None
    if body.organization_id:
        try:
            tenant_id = uuid.UUID(body.organization_id)
        except ValueError:
            raise SelfRegistrationClosed() from None  # as for any tenant that is not open
    user = await accounts.register(
        deps,
        email=body.email,
        password=body.password,
        profile=body.profile(),
        meta=meta,
        tenant_id=tenant_id,
    )
    return user_json(user)


async def me(deps: Deps, principal: Principal) -> dict[str, Any]:
    return user_json(principal.user)


async def update_profile(
    deps: Deps, body: ProfileBody, principal: Principal, meta: RequestMeta
) -> dict[str, Any]:
    user = await accounts.update_profile(
        deps,
        principal=principal,
        profile=body.profile(),
        meta=meta,
        current_password=body.current_password,
    )
    return user_json(user)


async def password_changer(request: Request, deps: DepsDep, meta: MetaDep) -> Principal:
    """The caller of a password change: a token that may only change the password will do."""
    principal = await principal_from(request, deps, meta, for_password_change=True)
    if principal is None:
        raise AuthenticationRequired(
            "Authentication required: send 'Authorization: Bearer <token>'"
        )
    return principal


PasswordChangerDep = Annotated[Principal, Depends(password_changer)]


async def change_password(
    deps: Deps, body: ChangePasswordBody, principal: Principal
) -> dict[str, Any]:
    """The seeds' message, and the session's new tokens: its refresh token was rotated."""
    changed = await auth.change_password(
        deps,
        principal=principal,
        current_password=body.current_password,
        new_password=body.new_password,
        confirm_password=body.confirm_password,
    )
    return {
        **login_json(changed.tokens),
        "message": "Password changed successfully",
        "sessions_revoked": changed.sessions_revoked,
    }


async def login(
    deps: Deps,
    body: LoginBody,
    meta: RequestMeta,
    response: Response,
    *,
    cookie_path: str | None = None,
) -> dict[str, Any]:
    """Log in; with ``cookie_path`` the refresh token goes in a cookie, not the body."""
    identifier = body.identifier()
    if not identifier:
        raise ValidationFailed("Email or username is required", field="email")
    pair = await auth.login(
        deps,
        identifier=identifier,
        password=body.password,
        meta=meta,
        device_info=body.device_info,
        tenant_slug=body.organization_slug,
    )
    if isinstance(pair, PasswordChangeToken):
        return password_change_json(pair)
    if cookie_path is None:
        return {**login_json(pair), "password_change_required": False}
    set_auth_cookies(response, pair, settings=deps.settings, path=cookie_path)
    return {
        **login_json(pair, include_refresh=False),
        "password_change_required": False,
        "csrf_token": pair.csrf_token,
    }


async def refresh(
    deps: Deps,
    body: RefreshBody | None,
    request: Request,
    meta: RequestMeta,
    response: Response,
    *,
    cookie_path: str,
) -> dict[str, Any]:
    """Rotate the refresh token from the body, or from the cookie (which needs CSRF)."""
    credential = refresh_credential(request, body.refresh_token if body else None)
    if credential is None:
        raise TokenInvalid("Refresh token is required")
    pair = await auth.refresh(deps, refresh_token=credential.token, meta=meta)
    if not credential.from_cookie:
        return login_json(pair)
    set_auth_cookies(response, pair, settings=deps.settings, path=cookie_path)
    return {**login_json(pair, include_refresh=False), "csrf_token": pair.csrf_token}


async def logout(
    deps: Deps,
    body: RefreshBody | None,
    request: Request,
    meta: RequestMeta,
    response: Response,
    *,
    cookie_path: str,
) -> None:
    """End the session named by the bearer token, the body's or the cookie's refresh token."""
    # Ending a session is allowed even to a token that may only change the password.
    principal = await principal_from(request, deps, meta, for_password_change=True)
    refresh_token = body.refresh_token if body else None
    if principal is None:
        credential = refresh_credential(request, refresh_token)
        refresh_token = credential.token if credential else None
    await auth.logout(deps, meta=meta, principal=principal, refresh_token=refresh_token)
    clear_auth_cookies(response, settings=deps.settings, path=cookie_path)
