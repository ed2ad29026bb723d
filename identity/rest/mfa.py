"""Second factors of the caller (seed 003's ``/v1/auth/mfa/*``), re-authentication, and an
administrator's reset of someone's MFA.

``setup`` and ``enable`` also take an enrolment token (an account that must enrol before it
gets a session); every other route needs a session. ``disable`` and ``backup-codes`` need
recent authentication: a body with ``password`` or ``code`` re-authenticates in the same call,
else ``POST /v1/auth/reauthenticate`` first (403 ``REAUTHENTICATION_REQUIRED``).
"""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated, Any, Literal

from fastapi import Depends, Header, Request
from pydantic import Field

from identity.errors import AuthenticationRequired
from identity.principal import Principal
from identity.rest.bodies import Body
from identity.rest.deps import DepsDep, MetaDep, PrincipalDep
from identity.rest.params import Id
from identity.rest.responses.account import Message
from identity.rest.responses.mfa import (
    BackupCodeCountOut,
    BackupCodesOut,
    MfaStatusOut,
    ReauthenticatedOut,
    TotpSetupOut,
)
from identity.rest.routing import row
from identity.rest.shapes import when
from identity.services.deps import Deps
from identity.services.mfa import backup_codes, manage, recent, state, totp, trusted
from identity.web.credentials import principal_from


class CodeBody(Body):
    code: str = Field(
        pattern=r"^[0-9]{6}$", description="The 6-digit code the authenticator app shows."
    )


class ProofBody(Body):
    """A proof of identity: the password (then ``code`` is ignored), or a TOTP or backup code.
    Neither, or a wrong one: 401."""

    password: str | None = Field(None, max_length=1024)
    code: str | None = Field(None, max_length=64)
    method: Literal["totp", "backup_code"] | None = Field(
        None, description="What ``code`` is; guessed from its length when absent."
    )


class PreferredBody(Body):
    method: Literal["totp", "webauthn", "email"] = Field(
        description="The method offered first at login (an enabled one, else 409)."
    )


async def enrolling_principal(request: Request, deps: DepsDep, meta: MetaDep) -> Principal:
    """The caller, by a session's access token or an enrolment token."""
    principal = await principal_from(request, deps, meta, for_mfa_enrollment=True)
    if principal is None:
        raise AuthenticationRequired(
            "Authentication required: send 'Authorization: Bearer <token>'"
        )
    return principal


EnrollingDep = Annotated[Principal, Depends(enrolling_principal)]


def status_json(
    found: state.MfaStatus | state.MfaSummary, *, trusted_device: bool
) -> dict[str, Any]:
    return {
        "enabled": found.enabled,
        "methods": [one.value for one in found.methods],
        "preferred": found.preferred.value if found.preferred else None,
        "backup_codes_remaining": found.backup_codes_remaining,
        "trusted_device": trusted_device,
    }


async def mfa_status(
    request: Request,
    deps: DepsDep,
    principal: PrincipalDep,
    x_device_token: Annotated[str | None, Header(max_length=1024)] = None,
) -> dict[str, Any]:
    token = x_device_token or request.cookies.get(trusted.COOKIE_NAME)
    found = await state.status(deps, principal=principal, device_token=token)
    return status_json(found, trusted_device=found.trusted_device)


async def setup_totp(deps: DepsDep, principal: EnrollingDep) -> dict[str, Any]:
    enrolled = await totp.setup(deps, principal=principal)
    return {"secret": enrolled.secret, "url": enrolled.url, "qr_code": enrolled.qr_svg_data_uri}


async def enable_totp(body: CodeBody, deps: DepsDep, principal: EnrollingDep) -> dict[str, Any]:
    codes = await totp.enable(deps, principal=principal, code=body.code)
    return {"message": "MFA enabled", "backup_codes": codes, "count": len(codes)}


async def _proved(deps: Deps, principal: Principal, body: ProofBody | None) -> None:
    sent = body or ProofBody()
    await recent.reauthenticate_if_given(
        deps, principal=principal, password=sent.password, code=sent.code, method=sent.method
    )


async def disable_mfa(
    deps: DepsDep, principal: PrincipalDep, body: ProofBody | None = None
) -> dict[str, Any]:
    await _proved(deps, principal, body)
    await manage.disable(deps, principal=principal)
    return {"message": "MFA disabled"}


async def regenerate_backup_codes(
    deps: DepsDep, principal: PrincipalDep, body: ProofBody | None = None
) -> dict[str, Any]:
    await _proved(deps, principal, body)
    codes = await manage.regenerate_backup_codes(deps, principal=principal)
    return {"message": "Backup codes replaced", "backup_codes": codes, "count": len(codes)}


async def backup_code_count(deps: DepsDep, principal: PrincipalDep) -> dict[str, Any]:
    return {"count": await backup_codes.remaining(deps, principal=principal)}


async def set_preferred(
    body: PreferredBody, deps: DepsDep, principal: PrincipalDep
) -> dict[str, Any]:
    found = await manage.set_preferred(deps, principal=principal, method=body.method)
    return status_json(found, trusted_device=False) | {"message": "Preferred method set"}


async def reauthenticate(body: ProofBody, deps: DepsDep, principal: PrincipalDep) -> dict[str, Any]:
    at = await recent.reauthenticate(
        deps, principal=principal, password=body.password, code=body.code, method=body.method
    )
    until = at + timedelta(minutes=deps.settings.recent_auth_minutes)
    return {
        "message": "Re-authenticated",
        "authenticated_at": when(at),
        "recent_until": when(until),
    }


async def reset_user_mfa(user_id: Id, deps: DepsDep, principal: PrincipalDep) -> dict[str, Any]:
    await manage.reset_user_mfa(deps, principal=principal, user_id=user_id)
    return {"message": "MFA reset"}


ROUTES = (
    row("GET", "/v1/auth/mfa/status", mfa_status, "MFA status", seeds="003", response=MfaStatusOut),
    row(
        "POST",
        "/v1/auth/mfa/setup",
        setup_totp,
        "Start TOTP enrolment (a secret, its otpauth URL and QR code; enables nothing)",
        seeds="003",
        response=TotpSetupOut,
    ),
    row(
        "POST",
        "/v1/auth/mfa/enable",
        enable_totp,
        "Enable TOTP with a code of the secret set up; answers ten backup codes once",
        seeds="003",
        response=BackupCodesOut,
    ),
    row(
        "POST",
        "/v1/auth/mfa/disable",
        disable_mfa,
        "Turn MFA off: every factor, backup code and device trust (recent authentication)",
        seeds="003",
        response=Message,
    ),
    row(
        "POST",
        "/v1/auth/mfa/backup-codes",
        regenerate_backup_codes,
        "Replace the backup codes with ten new ones (recent authentication)",
        seeds="003",
        response=BackupCodesOut,
    ),
    row(
        "GET",
        "/v1/auth/mfa/backup-codes/count",
        backup_code_count,
        "How many backup codes remain unused",
        seeds="003",
        response=BackupCodeCountOut,
    ),
    row(
        "POST",
        "/v1/auth/mfa/preferred",
        set_preferred,
        "Choose the second factor offered first at login",
        seeds="003",
        response=MfaStatusOut,
    ),
    row(
        "POST",
        "/v1/auth/reauthenticate",
        reauthenticate,
        "Prove who you are again (password, TOTP or backup code): recent authentication",
        seeds="own",
        response=ReauthenticatedOut,
    ),
    row(
        "POST",
        "/v1/admin/users/{user_id}/mfa/reset",
        reset_user_mfa,
        "Reset a user's MFA: every factor, backup code and device trust (users:write)",
        seeds="own",
        response=Message,
    ),
)
