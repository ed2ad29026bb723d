"""The caller's second factors (TOTP enrolment, backup codes, preferred method, turning MFA
off), re-authentication, and an administrator's reset of someone's MFA.

``disableMfa`` and ``regenerateBackupCodes`` need recent authentication: ``password`` or
``code`` re-authenticates in the same call, else ``reauthenticate`` first (PermissionDenied
with code REAUTHENTICATION_REQUIRED). ``setupTotp`` and ``enableTotp`` also take an
enrolment token (MfaEnrollmentRequired) as the bearer credential.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated

import strawberry
from graphql import GraphQLError
from strawberry.types import Info

from identity.errors import AuthenticationRequired, IdentityError
from identity.permissions import Permission as PermissionName
from identity.principal import Principal
from identity.services.mfa import manage, recent, totp
from identity.web.credentials import principal_from
from schema.context import Context
from schema.declare import SIGNED_IN, Access, mutation, needs
from schema.errors import (
    Conflict,
    InvalidCredentials,
    NotFound,
    PermissionDenied,
    TooManyAttempts,
    ValidationError,
)
from schema.ids import parse_id
from schema.permissions import AUTHENTICATED
from schema.types.mfa import (
    BackupCodes,
    Mfa,
    MfaDisabled,
    MfaPayload,
    Reauthenticated,
    TotpSetup,
)

SetupTotpResult = Annotated[
    TotpSetup | Conflict,
    strawberry.union("SetupTotpResult", description="A secret to prove, or why not."),
]
EnableTotpResult = Annotated[
    BackupCodes | ValidationError | InvalidCredentials | Conflict,
    strawberry.union(
        "EnableTotpResult",
        description="TOTP on and ten backup codes, or why not (MFA_CODE_INVALID, "
        "MFA_SETUP_REQUIRED, MFA_ALREADY_ENABLED).",
    ),
]
DisableMfaResult = Annotated[
    MfaDisabled
    | PermissionDenied
    | Conflict
    | InvalidCredentials
    | TooManyAttempts
    | ValidationError,
    strawberry.union(
        "DisableMfaResult",
        description="MFA off, or why not (REAUTHENTICATION_REQUIRED, MFA_NOT_ENABLED, "
        "MFA_LAST_FACTOR_REQUIRED while MFA is required).",
    ),
]
RegenerateBackupCodesResult = Annotated[
    BackupCodes
    | PermissionDenied
    | Conflict
    | InvalidCredentials
    | TooManyAttempts
    | ValidationError,
    strawberry.union(
        "RegenerateBackupCodesResult",
        description="Ten new backup codes, or why not (REAUTHENTICATION_REQUIRED, "
        "MFA_NOT_ENABLED).",
    ),
]
SetPreferredMfaMethodResult = Annotated[
    MfaPayload | ValidationError | Conflict,
    strawberry.union(
        "SetPreferredMfaMethodResult", description="The caller's factors, or why not."
    ),
]
ReauthenticateResult = Annotated[
    Reauthenticated | ValidationError | InvalidCredentials | TooManyAttempts,
    strawberry.union("ReauthenticateResult", description="Recent again, or why not."),
]
ResetUserMfaResult = Annotated[
    MfaDisabled | NotFound | PermissionDenied,
    strawberry.union("ResetUserMfaResult", description="The user's MFA is off, or why not."),
]

ENROLLER = Access(f"{AUTHENTICATED} An enrollment token (MfaEnrollmentRequired) will do.")


async def _enroller(info: Info[Context, None]) -> Principal:
    """The caller, by a session's access token or an enrolment token."""
    context = info.context
    try:
        principal = await principal_from(
            context.request, context.deps, context.meta, for_mfa_enrollment=True
        )
    except IdentityError as exc:
        raise GraphQLError(exc.message, extensions={"code": exc.code}) from exc
    if principal is None:
        raise GraphQLError(
            AuthenticationRequired.default_message,
            extensions={"code": AuthenticationRequired.code},
        )
    return principal


async def _proved(
    info: Info[Context, None],
    principal: Principal,
    password: str | None,
    code: str | None,
    method: str | None,
) -> None:
    await recent.reauthenticate_if_given(
        info.context.deps, principal=principal, password=password, code=code, method=method
    )


@strawberry.type
class MfaMutations:
    @mutation(
        "Start TOTP enrolment: a new secret (replacing an unproved one), its otpauth URL and "
        "QR code. Enables nothing until enableTotp proves a code.",
        access=ENROLLER,
    )
    async def setup_totp(self, info: Info[Context, None]) -> SetupTotpResult:
        principal = await _enroller(info)
        return TotpSetup.from_setup(await totp.setup(info.context.deps, principal=principal))

    @mutation(
        "Enable TOTP with a 6-digit code of the secret setupTotp answered (within 15 "
        "minutes); answers ten backup codes, shown this once.",
        access=ENROLLER,
    )
    async def enable_totp(self, info: Info[Context, None], code: str) -> EnableTotpResult:
        principal = await _enroller(info)
        codes = await totp.enable(info.context.deps, principal=principal, code=code)
        return BackupCodes(codes=codes)

    @mutation(
        "Turn MFA off: every factor, backup code and device trust goes, and the user is "
        "mailed. Needs recent authentication: `password`, or `code` (TOTP or backup code, "
        "`method` totp or backup_code), proves it in the same call.",
        access=SIGNED_IN,
    )
    async def disable_mfa(
        self,
        info: Info[Context, None],
        password: str | None = None,
        code: str | None = None,
        method: str | None = None,
    ) -> DisableMfaResult:
        principal = await info.context.require_principal()
        await _proved(info, principal, password, code, method)
        await manage.disable(info.context.deps, principal=principal)
        return MfaDisabled(user_id=strawberry.ID(str(principal.user_id)))

    @mutation(
        "Replace the backup codes with ten new ones, shown this once. Needs recent "
        "authentication (as disableMfa).",
        access=SIGNED_IN,
    )
    async def regenerate_backup_codes(
        self,
        info: Info[Context, None],
        password: str | None = None,
        code: str | None = None,
        method: str | None = None,
    ) -> RegenerateBackupCodesResult:
        principal = await info.context.require_principal()
        await _proved(info, principal, password, code, method)
        codes = await manage.regenerate_backup_codes(info.context.deps, principal=principal)
        return BackupCodes(codes=codes)

    @mutation(
        "Choose the second factor offered first at login: totp, webauthn or email (an "
        "enabled one).",
        access=SIGNED_IN,
    )
    async def set_preferred_mfa_method(
        self, info: Info[Context, None], method: str
    ) -> SetPreferredMfaMethodResult:
        principal = await info.context.require_principal()
        found = await manage.set_preferred(info.context.deps, principal=principal, method=method)
        return MfaPayload(mfa=Mfa.from_summary(principal.user_id, found))

    @mutation(
        "Prove who you are again, by `password` or by `code` (TOTP or backup code; `method` "
        "totp or backup_code): for the next minutes this session may turn MFA off or "
        "replace backup codes. Wrong proofs count toward a lockout.",
        access=SIGNED_IN,
    )
    async def reauthenticate(
        self,
        info: Info[Context, None],
        password: str | None = None,
        code: str | None = None,
        method: str | None = None,
    ) -> ReauthenticateResult:
        deps = info.context.deps
        principal = await info.context.require_principal()
        at = await recent.reauthenticate(
            deps, principal=principal, password=password, code=code, method=method
        )
        until = at + timedelta(minutes=deps.settings.recent_auth_minutes)
        return Reauthenticated(authenticated_at=at, recent_until=until)

    @mutation(
        "Reset a user's MFA (a lost phone): every factor, backup code and device trust goes, "
        "audited, and the user is mailed. A tenant's administrator reaches its members only.",
        access=needs(PermissionName.USERS_WRITE),
    )
    async def reset_user_mfa(
        self, info: Info[Context, None], user_id: strawberry.ID
    ) -> ResetUserMfaResult:
        target = parse_id(user_id, field="userId")
        await manage.reset_user_mfa(
            info.context.deps, principal=await info.context.principal(), user_id=target
        )
        return MfaDisabled(user_id=strawberry.ID(str(target)))
