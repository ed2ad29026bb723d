"""Mailed-link flows: verification, password reset, magic link, email change."""

from __future__ import annotations

from typing import Annotated, Any

import strawberry
from strawberry.types import Info

from identity.errors import IdentityError
from identity.services import email_change, magic_link, password_reset, verification
from identity.services.mfa.enrollment import MfaEnrollmentRequired as EnrollmentStep
from identity.services.mfa.pending import MfaRequired as PendingStep
from schema.context import Context
from schema.declare import PUBLIC, SIGNED_IN, mutation
from schema.errors import (
    AccountDisabled,
    AccountNotFound,
    AlreadyVerified,
    Conflict,
    FeatureDisabled,
    InvalidCredentials,
    TokenExpired,
    TokenInvalid,
    TooManyAttempts,
    ValidationError,
)
from schema.types.auth import (
    AuthPayload,
    MfaEnrollmentRequired,
    MfaRequired,
    SessionsRevoked,
    UserPayload,
)
from schema.types.email_flows import (
    Accepted,
    RequestEmailChangeInput,
    ResetPasswordInput,
    VerifyMagicLinkInput,
)
from schema.types.user import User

SAME_ANSWER = "The answer is the same whether or not the address has an account."

ResendVerificationEmailResult = Annotated[
    Accepted | FeatureDisabled | ValidationError,
    strawberry.union(
        "ResendVerificationEmailResult", description="Taken, or why the input was refused."
    ),
]
RequestPasswordResetResult = Annotated[
    Accepted | FeatureDisabled | ValidationError,
    strawberry.union(
        "RequestPasswordResetResult", description="Taken, or why the input was refused."
    ),
]
RequestMagicLinkResult = Annotated[
    Accepted | FeatureDisabled | ValidationError,
    strawberry.union("RequestMagicLinkResult", description="Taken, or why the input was refused."),
]
SendVerificationEmailResult = Annotated[
    Accepted | AlreadyVerified,
    strawberry.union("SendVerificationEmailResult", description="Mail queued, or why not."),
]
VerifyEmailResult = Annotated[
    UserPayload | TokenInvalid | TokenExpired,
    strawberry.union("VerifyEmailResult", description="The verified user, or why not."),
]
ResetPasswordResult = Annotated[
    SessionsRevoked | TokenInvalid | TokenExpired | ValidationError,
    strawberry.union("ResetPasswordResult", description="Sessions ended, or why not."),
]
VerifyMagicLinkResult = Annotated[
    AuthPayload
    | MfaRequired
    | MfaEnrollmentRequired
    | TokenInvalid
    | TokenExpired
    | AccountNotFound
    | AccountDisabled
    | FeatureDisabled
    | ValidationError,
    strawberry.union("VerifyMagicLinkResult", description="Tokens of a new session, or why not."),
]
RequestEmailChangeResult = Annotated[
    Accepted | InvalidCredentials | TooManyAttempts | Conflict | ValidationError,
    strawberry.union("RequestEmailChangeResult", description="Link mailed, or why not."),
]
ConfirmEmailChangeResult = Annotated[
    UserPayload | TokenInvalid | TokenExpired | Conflict,
    strawberry.union("ConfirmEmailChangeResult", description="The moved user, or why not."),
]


@strawberry.type
class EmailFlowMutations:
    @mutation("Mail the caller a verification link.", access=SIGNED_IN)
    async def send_verification_email(
        self, info: Info[Context, None]
    ) -> SendVerificationEmailResult:
        principal = await info.context.require_principal()
        await verification.send_verification(
            info.context.deps, principal=principal, meta=info.context.meta
        )
        return Accepted(message="Verification email sent")

    @mutation(f"Mail a verification link again. {SAME_ANSWER}", access=PUBLIC)
    async def resend_verification_email(
        self, info: Info[Context, None], email: str
    ) -> ResendVerificationEmailResult:
        await verification.resend_verification(
            info.context.deps, email=email, meta=info.context.meta
        )
        return Accepted(message="If this address needs verifying, a mail was sent to it")

    @mutation(
        "Verify an email address with a mailed token. Verifying an address nobody had proven, "
        "without being signed in to that account, ends every session of the account and "
        "clears its password (whoever registered may not own the mailbox): set one with "
        "requestPasswordReset. Signed in as the account (bearer token), nothing is ended.",
        access=PUBLIC,
    )
    async def verify_email(self, info: Info[Context, None], token: str) -> VerifyEmailResult:
        try:
            signed_in = await info.context.principal()
        except IdentityError:
            signed_in = None
        verified = await verification.verify_email(
            info.context.deps, token=token, meta=info.context.meta, signed_in=signed_in
        )
        return UserPayload(user=User.from_model(verified.user))

    @mutation(f"Mail a password reset link. {SAME_ANSWER}", access=PUBLIC)
    async def request_password_reset(
        self, info: Info[Context, None], email: str
    ) -> RequestPasswordResetResult:
        await password_reset.request_password_reset(
            info.context.deps, email=email, meta=info.context.meta
        )
        return Accepted(message="If an account uses this address, a reset link was sent to it")

    @mutation("Set a new password with a mailed token; every session ends.", access=PUBLIC)
    async def reset_password(
        self, info: Info[Context, None], input: ResetPasswordInput
    ) -> ResetPasswordResult:
        ended = await password_reset.reset_password(
            info.context.deps,
            token=input.token,
            new_password=input.new_password,
            meta=info.context.meta,
        )
        return SessionsRevoked(revoked=ended)

    @mutation(f"Mail a sign-in link. {SAME_ANSWER}", access=PUBLIC)
    async def request_magic_link(
        self, info: Info[Context, None], email: str
    ) -> RequestMagicLinkResult:
        await magic_link.request_magic_link(info.context.deps, email=email, meta=info.context.meta)
        return Accepted(message="If this address can sign in, a sign-in link was sent to it")

    @mutation("Sign in with a mailed link, as login does.", access=PUBLIC)
    async def verify_magic_link(
        self, info: Info[Context, None], input: VerifyMagicLinkInput
    ) -> VerifyMagicLinkResult:
        device: Any = input.device
        outcome = await magic_link.verify_magic_link(
            info.context.deps,
            token=input.token,
            allow_registration=input.allow_registration,
            meta=info.context.meta,
            device_info=device if isinstance(device, dict) else None,
        )
        if isinstance(outcome, PendingStep):  # a link is a first factor only
            return MfaRequired.from_step(outcome)
        if isinstance(outcome, EnrollmentStep):
            return MfaEnrollmentRequired.from_step(outcome)
        return AuthPayload.from_pair(outcome, cookie_mode=False)

    @mutation(
        "Move the account to a new address: needs the current password; a link "
        "goes to the new address and the old one is told once it is used. The link works only "
        "while the session that asked lasts and the password is unchanged. A taken address is "
        "Conflict, or (runtime setting registration_reveals_existing off) answered as a free "
        "one while its owner is told.",
        access=SIGNED_IN,
    )
    async def request_email_change(
        self, info: Info[Context, None], input: RequestEmailChangeInput
    ) -> RequestEmailChangeResult:
        principal = await info.context.require_principal()
        await email_change.request_email_change(
            info.context.deps,
            principal=principal,
            new_email=input.new_email,
            current_password=input.current_password,
        )
        return Accepted(message="A confirmation link was sent to the new address")

    @mutation("Confirm a new address with its mailed token.", access=PUBLIC)
    async def confirm_email_change(
        self, info: Info[Context, None], token: str
    ) -> ConfirmEmailChangeResult:
        user = await email_change.confirm_email_change(
            info.context.deps, token=token, meta=info.context.meta
        )
        return UserPayload(user=User.from_model(user))
