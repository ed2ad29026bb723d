"""The login step over GraphQL: complete a pending login, mail its code, login codes by email
on and off. Completion answers what ``login`` would have answered (cookie mode included)."""

from __future__ import annotations

from typing import Annotated

import strawberry
from graphql import GraphQLError
from strawberry.types import Info

from identity.errors import AuthenticationRequired, IdentityError, ValidationFailed
from identity.models.mfa import MfaMethod
from identity.principal import Principal
from identity.services.mfa import email_codes, login_step
from identity.services.mfa.pending import Completed
from identity.services.mfa.webauthn import assertion as webauthn_assertion
from identity.services.tokens import PasswordChangeToken
from identity.web.cookies import set_auth_cookies
from identity.web.credentials import principal_from
from schema.context import Context
from schema.declare import PUBLIC, SIGNED_IN, Access, mutation
from schema.errors import (
    AccountDisabled,
    AccountLocked,
    Conflict,
    EmailNotVerified,
    InvalidCredentials,
    PermissionDenied,
    TooManyAttempts,
    ValidationError,
)
from schema.mutations.auth import _http_response
from schema.permissions import AUTHENTICATED
from schema.types.auth import AuthPayload, PasswordChangeRequired
from schema.types.mfa_login import (
    CompleteMfaLoginInput,
    EmailMfaChanged,
    EmailMfaCodeSent,
    PendingLoginInput,
)

CompleteMfaLoginResult = Annotated[
    AuthPayload
    | PasswordChangeRequired
    | InvalidCredentials
    | AccountLocked
    | AccountDisabled
    | ValidationError,
    strawberry.union(
        "CompleteMfaLoginResult",
        description="The tokens login would have answered, or why not (a missing, used or "
        "expired pending login answers like a wrong code: MFA_CODE_INVALID).",
    ),
]
SendEmailMfaCodeResult = Annotated[
    EmailMfaCodeSent | InvalidCredentials | Conflict | TooManyAttempts | ValidationError,
    strawberry.union("SendEmailMfaCodeResult", description="Code mailed, or why not."),
]
EnableEmailMfaResult = Annotated[
    EmailMfaChanged | EmailNotVerified | Conflict | PermissionDenied,
    strawberry.union(
        "EnableEmailMfaResult",
        description="Email codes on, or why not (REAUTHENTICATION_REQUIRED as PermissionDenied "
        "for a session that did not prove its user recently; an enrolment token need not).",
    ),
]
DisableEmailMfaResult = Annotated[
    EmailMfaChanged | Conflict | PermissionDenied,
    strawberry.union(
        "DisableEmailMfaResult",
        description="Email codes off, or why not (REAUTHENTICATION_REQUIRED as PermissionDenied).",
    ),
]

ENROLLER = Access(f"{AUTHENTICATED} An enrollment token (MfaEnrollmentRequired) will do.")


def login_payload(
    info: Info[Context, None], completed: Completed
) -> AuthPayload | PasswordChangeRequired:
    """What login answered for the session the second factor opened: in cookie mode the
    refresh token goes in the cookie of the path the login chose, with a CSRF token."""
    tokens = completed.tokens
    if isinstance(tokens, PasswordChangeToken):
        return PasswordChangeRequired.from_token(tokens)
    cookie_path = completed.cookie_path
    if cookie_path is not None:
        set_auth_cookies(
            _http_response(info), tokens, settings=info.context.deps.settings, path=cookie_path
        )
    return AuthPayload.from_pair(tokens, cookie_mode=cookie_path is not None)


async def _enroller(info: Info[Context, None]) -> Principal:
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


@strawberry.type
class MfaLoginMutations:
    @mutation(
        "Complete a pending login (MfaRequired) with a second factor. At most 5 wrong factors "
        "per pending login; they count toward the account's lockout.",
        access=PUBLIC,
    )
    async def complete_mfa_login(
        self, info: Info[Context, None], input: CompleteMfaLoginInput
    ) -> CompleteMfaLoginResult:
        deps, meta = info.context.deps, info.context.meta
        method = login_step.parse_method(input.method)
        if input.mfa_token is None and input.user_id is None:
            raise ValidationFailed("mfaToken or userId is required", field="mfaToken")
        user_id = str(input.user_id) if input.user_id is not None else None
        if method is MfaMethod.WEBAUTHN:
            if not input.assertion:
                raise ValidationFailed("webauthn needs an assertion", field="assertion")
            completed = await webauthn_assertion.finish_login(
                deps,
                user_id=user_id,
                mfa_token=input.mfa_token,
                assertion=input.assertion,
                meta=meta,
            )
        else:
            completed = await login_step.complete_with_code(
                deps,
                user_id=user_id,
                mfa_token=input.mfa_token,
                method=method,
                code=input.code or "",
                meta=meta,
            )
        return login_payload(info, completed)

    @mutation(
        "Mail a login code for the pending login of mfaToken (10 minutes; at most 3 per "
        "pending login). Without the mfaToken (a userId alone) it answers MFA_CODE_INVALID.",
        access=PUBLIC,
    )
    async def send_email_mfa_code(
        self, info: Info[Context, None], input: PendingLoginInput
    ) -> SendEmailMfaCodeResult:
        expires_in = await email_codes.send(
            info.context.deps,
            user_id=str(input.user_id) if input.user_id is not None else None,
            mfa_token=input.mfa_token,
            meta=info.context.meta,
        )
        return EmailMfaCodeSent(
            message="A login code was sent to your email address", expires_in=expires_in
        )

    @mutation(
        "Turn login codes by email on as a second factor (the address must be verified).",
        access=ENROLLER,
    )
    async def enable_email_mfa(self, info: Info[Context, None]) -> EnableEmailMfaResult:
        principal = await _enroller(info)
        await email_codes.enable(info.context.deps, principal=principal)
        return EmailMfaChanged(enabled=True)

    @mutation(
        "Turn login codes by email off (needs recent authentication; not the last factor of "
        "an account that must have MFA).",
        access=SIGNED_IN,
    )
    async def disable_email_mfa(self, info: Info[Context, None]) -> DisableEmailMfaResult:
        principal = await info.context.require_principal()
        await email_codes.disable(info.context.deps, principal=principal)
        return EmailMfaChanged(enabled=False)
