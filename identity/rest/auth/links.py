"""Mailed-link flows at the documented paths: verification, password reset, magic link.

Seed 000: ``/api/v1/auth/forgot-password`` and ``/reset-password``; seed 002:
``/v1/auth/email/*`` and ``/v1/auth/password/reset*``; seed 003: ``/v1/auth/send-verification``,
``/verify-email``, ``/forgot-password``, ``/reset-password`` and ``/magic-link/*``.

Tokens are read from request bodies only, never from the query string (mailed links carry
them in the fragment, which the web app sends back in a body).
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Depends, Request
from pydantic import Field

from identity.errors import IdentityError
from identity.principal import Principal
from identity.rest.auth.flows import device_token_of, mfa_required_json
from identity.rest.bodies import Body
from identity.rest.deps import DepsDep, MetaDep, PrincipalDep
from identity.rest.responses.account import Message, SessionsEndedOut, VerifiedOut
from identity.rest.responses.mfa_login import LoginAnswer
from identity.rest.routing import row
from identity.rest.shapes import login_json, user_json
from identity.services import magic_link, password_reset, verification
from identity.services.mfa.enrollment import MfaEnrollmentRequired
from identity.services.mfa.pending import MfaRequired
from identity.web.credentials import principal_from

RESET_SENT = "If an account uses this address, password reset instructions were sent to it"
VERIFICATION_SENT = "If this address needs verifying, a verification email was sent to it"
LINK_SENT = "If this address can sign in, a sign-in link was sent to it"


class EmailBody(Body):
    email: str = Field(max_length=320)


class TokenBody(Body):
    token: str = Field(max_length=500)


class ResetBody(TokenBody):
    new_password: str = Field(max_length=1024)
    confirm_password: str | None = Field(None, max_length=1024)


class MagicLinkBody(TokenBody):
    allow_registration: bool = False
    device_info: dict[str, Any] | None = None
    device_token: str | None = Field(None, max_length=200)


async def forgot_password(body: EmailBody, deps: DepsDep, meta: MetaDep) -> dict[str, str]:
    await password_reset.request_password_reset(deps, email=body.email, meta=meta)
    return {"message": RESET_SENT}


async def reset_password(body: ResetBody, deps: DepsDep, meta: MetaDep) -> dict[str, Any]:
    ended = await password_reset.reset_password(
        deps,
        token=body.token,
        new_password=body.new_password,
        confirm_password=body.confirm_password,
        meta=meta,
    )
    return {"message": "Password reset successfully", "sessions_revoked": ended}


async def _signed_in(request: Request, deps: DepsDep, meta: MetaDep) -> Principal | None:
    """The caller when a valid bearer token came along; a stale one is no reason to refuse."""
    try:
        return await principal_from(request, deps, meta)
    except IdentityError:
        return None


async def verify_email(
    body: TokenBody,
    deps: DepsDep,
    meta: MetaDep,
    signed_in: Annotated[Principal | None, Depends(_signed_in)],
) -> dict[str, Any]:
    verified = await verification.verify_email(
        deps, token=body.token, meta=meta, signed_in=signed_in
    )
    return {
        "message": verification.CLAIMED_MESSAGE
        if verified.claimed
        else "Email verified successfully",
        "email_verified": True,
        "password_reset_required": verified.claimed,
        "user": user_json(verified.user),
    }


async def resend_verification(body: EmailBody, deps: DepsDep, meta: MetaDep) -> dict[str, str]:
    await verification.resend_verification(deps, email=body.email, meta=meta)
    return {"message": VERIFICATION_SENT}


async def send_verification(principal: PrincipalDep, deps: DepsDep) -> dict[str, str]:
    await verification.send_verification(deps, principal=principal, meta=principal.meta)
    return {"message": "Verification email sent"}


async def send_magic_link(body: EmailBody, deps: DepsDep, meta: MetaDep) -> dict[str, str]:
    await magic_link.request_magic_link(deps, email=body.email, meta=meta)
    return {"message": LINK_SENT}


async def verify_magic_link(
    body: MagicLinkBody, deps: DepsDep, meta: MetaDep, request: Request
) -> dict[str, Any]:
    """A link is a first factor only: an account with MFA answers ``mfa_required``."""
    outcome = await magic_link.verify_magic_link(
        deps,
        token=body.token,
        allow_registration=body.allow_registration,
        meta=meta,
        device_info=body.device_info,
        device_token=device_token_of(request, body.device_token),
    )
    if isinstance(outcome, MfaRequired | MfaEnrollmentRequired):
        return mfa_required_json(outcome)
    return login_json(outcome)


FORGOT = "Request a password reset mail"
RESET = "Reset the password with a mailed token"
VERIFY = "Verify the email address with a token"

ROUTES = (
    row(
        "POST",
        "/api/v1/auth/forgot-password",
        forgot_password,
        FORGOT,
        seeds="000",
        response=Message,
    ),
    row(
        "POST",
        "/api/v1/auth/reset-password",
        reset_password,
        RESET,
        seeds="000",
        response=SessionsEndedOut,
    ),
    row("POST", "/v1/auth/forgot-password", forgot_password, FORGOT, seeds="003", response=Message),
    row(
        "POST",
        "/v1/auth/password/reset-request",
        forgot_password,
        FORGOT,
        seeds="002",
        response=Message,
    ),
    row(
        "POST",
        "/v1/auth/reset-password",
        reset_password,
        RESET,
        seeds="003",
        response=SessionsEndedOut,
    ),
    row(
        "POST",
        "/v1/auth/password/reset",
        reset_password,
        RESET,
        seeds="002",
        response=SessionsEndedOut,
    ),
    row(
        "POST",
        "/v1/auth/send-verification",
        send_verification,
        "Mail me a verification link",
        seeds="003",
        response=Message,
    ),
    row(
        "POST",
        "/v1/auth/email/resend-verification",
        resend_verification,
        "Mail a verification link again",
        seeds="002",
        response=Message,
    ),
    row("POST", "/v1/auth/verify-email", verify_email, VERIFY, seeds="003", response=VerifiedOut),
    row("POST", "/v1/auth/email/verify", verify_email, VERIFY, seeds="002", response=VerifiedOut),
    row(
        "POST",
        "/v1/auth/magic-link/send",
        send_magic_link,
        "Mail a sign-in link",
        seeds="003",
        response=Message,
    ),
    row(
        "POST",
        "/v1/auth/magic-link/verify",
        verify_magic_link,
        "Sign in with a mailed link",
        seeds="003",
        response=LoginAnswer,
    ),
)
