"""Inputs and payloads of the authentication mutations."""

from __future__ import annotations

import strawberry
from strawberry.scalars import JSON

from identity.services.mfa.enrollment import MfaEnrollmentRequired as EnrollmentStep
from identity.services.mfa.pending import MfaRequired as PendingStep
from identity.services.tokens import PasswordChangeToken, TokenPair
from schema.types.user import Session, User


@strawberry.type(description="Tokens from a login or a refresh.")
class AuthPayload:
    access_token: str = strawberry.field(description="JWT (ES256) for Authorization: Bearer.")
    refresh_token: str | None = strawberry.field(
        description="Opaque refresh token; null in cookie mode, where it is an HttpOnly cookie."
    )
    token_type: str = strawberry.field(description="Always 'bearer'.")
    expires_in: int = strawberry.field(description="Seconds until the access token expires.")
    csrf_token: str | None = strawberry.field(
        description="In cookie mode: echo it in X-CSRF-Token to refresh or log out."
    )
    user: User = strawberry.field(description="The logged-in user.")
    session: Session = strawberry.field(description="The session the tokens belong to.")

    @classmethod
    def from_pair(cls, pair: TokenPair, *, cookie_mode: bool) -> AuthPayload:
        return cls(
            access_token=pair.access.token,
            refresh_token=None if cookie_mode else pair.refresh_token,
            token_type="bearer",  # noqa: S106 (RFC 6750 scheme name)
            expires_in=pair.access.expires_in,
            csrf_token=pair.csrf_token if cookie_mode else None,
            user=User.from_model(pair.user),
            session=Session.from_model(pair.session, current_id=pair.session.id),
        )


@strawberry.type(
    description="The password was right, but the account must change it first: the access "
    "token may only call changePassword (anything else answers PASSWORD_CHANGE_REQUIRED); "
    "changePassword then answers the normal tokens."
)
class PasswordChangeRequired:
    code: str = strawberry.field(description="Always PASSWORD_CHANGE_REQUIRED.")
    message: str = strawberry.field(description="Human-readable explanation.")
    access_token: str = strawberry.field(description="JWT good for changePassword only.")
    token_type: str = strawberry.field(description="Always 'bearer'.")
    expires_in: int = strawberry.field(description="Seconds until the access token expires.")
    user: User = strawberry.field(description="The user who must change the password.")

    @classmethod
    def from_token(cls, token: PasswordChangeToken) -> PasswordChangeRequired:
        return cls(
            code="PASSWORD_CHANGE_REQUIRED",
            message="Change your password to continue: this token may only change it",
            access_token=token.access.token,
            token_type="bearer",  # noqa: S106 (RFC 6750 scheme name)
            expires_in=token.access.expires_in,
            user=User.from_model(token.user),
        )


@strawberry.type(
    description="The first factor was right and the account has MFA: no tokens yet. Complete "
    "the login with completeMfaLogin (mfaToken and a second factor) within expiresIn seconds."
)
class MfaRequired:
    mfa_token: str = strawberry.field(description="Names this pending login in completeMfaLogin.")
    user_id: strawberry.ID = strawberry.field(description="The account logging in.")
    methods: list[str] = strawberry.field(
        description="Second factors the account has: totp, webauthn, email, backup_code; the "
        "preferred one first."
    )
    preferred: str | None = strawberry.field(description="The method to offer first.")
    expires_in: int = strawberry.field(description="Seconds the pending login lives.")

    @classmethod
    def from_step(cls, step: PendingStep) -> MfaRequired:
        return cls(
            mfa_token=step.mfa_token,
            user_id=strawberry.ID(str(step.user_id)),
            methods=[one.value for one in step.methods],
            preferred=step.preferred.value if step.preferred else None,
            expires_in=step.expires_in,
        )


@strawberry.type(
    description="The first factor was right, but the account must have MFA and has none: the "
    "enrollment token (as a bearer token) may only set up and enable a second factor "
    "(setupTotp, enableTotp, enableEmailMfa); then log in again."
)
class MfaEnrollmentRequired:
    enrollment_token: str = strawberry.field(description="Good for enrolling a factor only.")
    user_id: strawberry.ID = strawberry.field(description="The account that must enrol.")
    expires_in: int = strawberry.field(description="Seconds the token lives.")

    @classmethod
    def from_step(cls, step: EnrollmentStep) -> MfaEnrollmentRequired:
        return cls(
            enrollment_token=step.enrollment_token,
            user_id=strawberry.ID(step.user_id),
            expires_in=step.expires_in,
        )


@strawberry.input(description="Create an account.")
class RegisterInput:
    email: str = strawberry.field(description="Email address; unique after NFKC case folding.")
    password: str = strawberry.field(
        description="8 to 256 characters, not a common or (if checked) breached password."
    )
    username: str | None = strawberry.field(
        default=None,
        description="Optional unique name (after NFKC case folding): letters of one script, "
        "digits, '.', '_', '-'; 150 at most.",
    )
    first_name: str | None = strawberry.field(default=None, description="Given name (150 max).")
    last_name: str | None = strawberry.field(default=None, description="Family name (150 max).")
    display_name: str | None = strawberry.field(default=None, description="Name shown (300 max).")
    organization: str | None = strawberry.field(default=None, description="Organisation (200 max).")
    subscription_plan: str | None = strawberry.field(
        default=None,
        description="None (the default plan) or a plan the runtime setting "
        "self_selectable_plans lists.",
    )
    organization_id: strawberry.ID | None = strawberry.field(
        default=None,
        description="A tenant (seed 004's organization) to join: it must be active and accept "
        "self-registration, else SELF_REGISTRATION_NOT_ALLOWED (an unknown or malformed id "
        "alike); TENANT_FULL when it has no room.",
    )


@strawberry.input(description="Log in with an email or username and a password.")
class LoginInput:
    identifier: str = strawberry.field(description="Email address or username.")
    password: str = strawberry.field(description="The password, exactly as typed.")
    device: JSON | None = strawberry.field(
        default=None, description="Device info to show in sessions: device_id, platform, ..."
    )
    use_cookie: bool = strawberry.field(
        default=False,
        description="Browser mode: the refresh token goes in an HttpOnly cookie, "
        "with a CSRF token to echo in X-CSRF-Token.",
    )
    organization_slug: str | None = strawberry.field(
        default=None,
        description="The slug of the tenant (organization) the session acts in; by default "
        "the primary tenant. One the account is not a member of fails like a wrong password.",
    )
    device_token: str | None = strawberry.field(
        default=None,
        description="A trusted device's token (trustDevice): the second factor is skipped while "
        "it is live. Browsers send its HttpOnly cookie instead.",
    )


@strawberry.input(description="Rotate a refresh token.")
class RefreshTokenInput:
    refresh_token: str | None = strawberry.field(
        default=None, description="The refresh token; omit it in cookie mode."
    )


@strawberry.input(description="End a session.")
class LogoutInput:
    refresh_token: str | None = strawberry.field(
        default=None, description="Names the session when no bearer token is sent."
    )


@strawberry.input(description="Change the caller's password; other sessions end.")
class ChangePasswordInput:
    current_password: str = strawberry.field(description="The password in use now.")
    new_password: str = strawberry.field(description="The new password.")


@strawberry.input(description="Profile fields to change; omitted ones stay.")
class UpdateProfileInput:
    username: str | None = strawberry.field(
        default=None, description="New username (needs currentPassword)."
    )
    first_name: str | None = strawberry.field(default=None, description="Given name (150 max).")
    last_name: str | None = strawberry.field(default=None, description="Family name (150 max).")
    display_name: str | None = strawberry.field(default=None, description="Name shown (300 max).")
    organization: str | None = strawberry.field(default=None, description="Organisation (200 max).")
    subscription_plan: str | None = strawberry.field(
        default=None,
        description="Set by administrators: only the current plan may be sent back.",
    )
    avatar_url: str | None = strawberry.field(
        default=None, description="Picture URL: https, at most 2,000 characters; empty clears it."
    )
    current_password: str | None = strawberry.field(
        default=None, description="The password in use now; required to change the username."
    )


@strawberry.type(description="A created account.")
class RegisterPayload:
    user: User = strawberry.field(description="The new user.")


@strawberry.type(description="The changed user.")
class UserPayload:
    user: User = strawberry.field(description="The user after the change.")


@strawberry.type(description="The result of ending sessions.")
class SessionsRevoked:
    revoked: int = strawberry.field(description="How many sessions were ended.")


@strawberry.type(
    description="The password changed: the other sessions ended, and this session goes on "
    "with new tokens (its previous refresh token no longer works)."
)
class PasswordChanged:
    revoked: int = strawberry.field(description="How many other sessions were ended.")
    tokens: AuthPayload = strawberry.field(description="The session's new tokens.")
