"""Inputs and payloads of the login step: completing a pending login, mailed login codes."""

from __future__ import annotations

import strawberry


@strawberry.input(
    description="Complete a pending login (MfaRequired) with a second factor: a code for "
    "totp, email and backup_code, an assertion for webauthn."
)
class CompleteMfaLoginInput:
    mfa_token: str | None = strawberry.field(
        default=None,
        description="MfaRequired.mfaToken: required (a userId alone answers MFA_CODE_INVALID).",
    )
    user_id: strawberry.ID | None = strawberry.field(
        default=None, description="MfaRequired.userId; with mfaToken both must agree."
    )
    method: str = strawberry.field(description="totp, email, backup_code or webauthn.")
    code: str | None = strawberry.field(
        default=None, description="The 6-digit TOTP or mailed code, or a backup code."
    )
    assertion: str | None = strawberry.field(
        default=None,
        description="webauthn: the PublicKeyCredential JSON the browser returned for "
        "beginWebauthnLogin's options.",
    )


@strawberry.input(description="Names a pending login (MfaRequired).")
class PendingLoginInput:
    mfa_token: str | None = strawberry.field(
        default=None, description="MfaRequired.mfaToken (or give userId)."
    )
    user_id: strawberry.ID | None = strawberry.field(
        default=None, description="MfaRequired.userId; with mfaToken both must agree."
    )


@strawberry.type(description="A login code was mailed to the account's address.")
class EmailMfaCodeSent:
    message: str = strawberry.field(description="Human-readable confirmation.")
    expires_in: int = strawberry.field(description="Seconds the code is valid.")


@strawberry.type(description="Login codes by email after the change.")
class EmailMfaChanged:
    enabled: bool = strawberry.field(description="Whether login codes by email are on.")
