"""What the auth routes of every seed share: one adapter per operation, both token modes."""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from fastapi import Depends, Request, Response
from pydantic import ConfigDict, Field, JsonValue

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
from identity.services.mfa import trusted
from identity.services.mfa.enrollment import MfaEnrollmentRequired
from identity.services.mfa.pending import MfaRequired
from identity.services.tokens import PasswordChangeToken, TokenPair
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
    if changed.enrollment is not None or changed.tokens is None:
        assert changed.enrollment is not None  # noqa: S101 (no tokens: an enrolment instead)
        return {
            **mfa_required_json(changed.enrollment),
            "message": "Password changed; set up a second factor, then log in again",
            "sessions_revoked": changed.sessions_revoked,
        }
    return {
        **login_json(changed.tokens),
        "message": "Password changed successfully",
        "sessions_revoked": changed.sessions_revoked,
    }


IDENTIFIER_REQUIRED: list[JsonValue] = [
    {"required": ["email"], "properties": {"email": {"type": "string", "pattern": "\\S"}}},
    {"required": ["username"], "properties": {"username": {"type": "string", "pattern": "\\S"}}},
]
"""What the document says a login needs: an email address or a username, not blank."""


class DeviceLoginBody(LoginBody):
    """A login body; ``device_token`` is a trusted device's token (else its cookie is read)."""

    model_config = ConfigDict(json_schema_extra={"anyOf": IDENTIFIER_REQUIRED})

    device_token: str | None = Field(None, max_length=200)


async def mfa_enroller(request: Request, deps: DepsDep, meta: MetaDep) -> Principal:
    """The caller of the routes an enrolment token may reach (setting up a second factor):
    a signed-in user, or the holder of an enrolment token."""
    principal = await principal_from(request, deps, meta, for_mfa_enrollment=True)
    if principal is None:
        raise AuthenticationRequired(
            "Authentication required: send 'Authorization: Bearer <token>'"
        )
    return principal


MfaEnrollerDep = Annotated[Principal, Depends(mfa_enroller)]


def device_token_of(request: Request, sent: str | None) -> str | None:
    """The trusted device's token from the body, else from its HttpOnly cookie."""
    return sent or request.cookies.get(trusted.COOKIE_NAME) or None


def mfa_required_json(step: MfaRequired | MfaEnrollmentRequired) -> dict[str, Any]:
    """A first factor's answer when a second step is due (200, no tokens, no session)."""
    if isinstance(step, MfaEnrollmentRequired):
        return {
            "mfa_enrollment_required": True,
            "user_id": step.user_id,
            "enrollment_token": step.enrollment_token,
            "expires_in": step.expires_in,
            "message": "Set up a second factor to continue: this token may only do that",
        }
    return {
        "mfa_required": True,
        "user_id": str(step.user_id),
        "mfa_token": step.mfa_token,
        "methods": [one.value for one in step.methods],
        "preferred": step.preferred.value if step.preferred else None,
        "expires_in": step.expires_in,
        "message": "Enter a second factor to finish logging in",
    }


def tokens_answer(
    deps: Deps,
    tokens: TokenPair | PasswordChangeToken,
    response: Response,
    *,
    cookie_path: str | None,
) -> dict[str, Any]:
    """A login's tokens as the login routes answer them; with ``cookie_path`` the refresh
    token goes in a cookie (and a CSRF token in the body), not the body."""
    if isinstance(tokens, PasswordChangeToken):
        return password_change_json(tokens)
    if cookie_path is None:
        return {**login_json(tokens), "password_change_required": False}
    set_auth_cookies(response, tokens, settings=deps.settings, path=cookie_path)
    return {
        **login_json(tokens, include_refresh=False),
        "password_change_required": False,
        "csrf_token": tokens.csrf_token,
    }


async def login(
    deps: Deps,
    body: DeviceLoginBody,
    meta: RequestMeta,
    request: Request,
    response: Response,
    *,
    cookie_path: str | None = None,
) -> dict[str, Any]:
    """Log in; with ``cookie_path`` the refresh token goes in a cookie, not the body. An
    account with MFA answers ``mfa_required`` (no tokens) instead."""
    identifier = body.identifier()
    if not identifier:
        raise ValidationFailed("Email or username is required", field="email")
    outcome = await auth.login(
        deps,
        identifier=identifier,
        password=body.password,
        meta=meta,
        device_info=body.device_info,
        tenant_slug=body.organization_slug,
        device_token=device_token_of(request, body.device_token),
        cookie_path=cookie_path,
    )
    if isinstance(outcome, MfaRequired | MfaEnrollmentRequired):
        return mfa_required_json(outcome)
    return tokens_answer(deps, outcome, response, cookie_path=cookie_path)


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
