"""Domain errors: each carries a stable machine code, a message, an optional field and status."""

from __future__ import annotations

from typing import Any, ClassVar


class IdentityError(Exception):
    """Base of every expected failure; REST and GraphQL map it, never its subclasses' text."""

    code: ClassVar[str] = "IDENTITY_ERROR"
    status: ClassVar[int] = 400
    default_message: ClassVar[str] = "The request could not be completed"

    def __init__(
        self,
        message: str | None = None,
        *,
        field: str | None = None,
        details: dict[str, Any] | None = None,
    ) -> None:
        self.message = message or self.default_message
        self.field = field
        self.details = details or {}
        super().__init__(self.message)


class ValidationFailed(IdentityError):
    code = "VALIDATION_ERROR"
    status = 422
    default_message = "Validation failed"


class NotFound(IdentityError):
    code = "RESOURCE_NOT_FOUND"
    status = 404
    default_message = "Resource not found"


class Conflict(IdentityError):
    code = "RESOURCE_CONFLICT"
    status = 409
    default_message = "Resource already exists"


class AuthenticationRequired(IdentityError):
    code = "AUTHENTICATION_REQUIRED"
    status = 401
    default_message = "Authentication required"


class PermissionDenied(IdentityError):
    code = "PERMISSION_DENIED"
    status = 403
    default_message = "Insufficient permissions"


class RateLimited(IdentityError):
    """A rate budget is spent; ``retry_after`` seconds until it allows the request again."""

    code = "RATE_LIMIT_EXCEEDED"
    graphql_code: ClassVar[str] = "RATE_LIMITED"
    status = 429
    default_message = "Rate limit exceeded. Try again later."

    def __init__(self, *, retry_after: int, message: str | None = None) -> None:
        super().__init__(message, details={"retry_after": retry_after})
        self.retry_after = retry_after


class ServiceUnavailable(IdentityError):
    code = "SERVICE_UNAVAILABLE"
    status = 503
    default_message = "Service temporarily unavailable"


class ConfigurationError(Exception):
    """The settings cannot run the service; each problem names the setting."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = problems
        super().__init__("; ".join(problems))


class InvalidCredentials(IdentityError):
    code = "INVALID_CREDENTIALS"
    status = 401
    default_message = "Invalid email or password"


class AccountLocked(IdentityError):
    code = "ACCOUNT_LOCKED"
    status = 423
    default_message = "Account is locked"


class TooManyAttempts(IdentityError):
    code = "TOO_MANY_ATTEMPTS"
    status = 429
    default_message = "Too many failed attempts; try again later"


class AccountDisabled(IdentityError):
    code = "ACCOUNT_DISABLED"
    status = 403
    default_message = "Account is disabled"


class TokenInvalid(IdentityError):
    code = "TOKEN_INVALID"
    status = 401
    default_message = "Invalid or malformed token"


class TokenExpired(IdentityError):
    code = "TOKEN_EXPIRED"
    status = 401
    default_message = "Token has expired"


class TokenReused(IdentityError):
    code = "TOKEN_REUSED"
    status = 401
    default_message = "Refresh token was already used; the session has been revoked"


class AccountNotFound(IdentityError):
    code = "ACCOUNT_NOT_FOUND"
    status = 404
    default_message = "No account uses this address"


class EmailNotVerified(IdentityError):
    code = "EMAIL_NOT_VERIFIED"
    status = 403
    default_message = "Verify your email address before logging in"


class FeatureDisabled(IdentityError):
    code = "FEATURE_DISABLED"
    status = 403
    default_message = "This feature is turned off"


class AlreadyVerified(IdentityError):
    code = "EMAIL_ALREADY_VERIFIED"
    status = 409
    default_message = "Email address is already verified"


class CsrfFailed(IdentityError):
    code = "CSRF_FAILED"
    status = 403
    default_message = "Missing or invalid CSRF token"


class PasswordRejected(ValidationFailed):
    """A password the policy refuses; ``code`` names the rule it broke."""

    code = "PASSWORD_POLICY"

    def __init__(self, code: str, message: str, *, field: str = "password") -> None:
        super().__init__(message, field=field, details={"reason": code})
        self.code = code  # type: ignore[misc]


class SystemRoleProtected(IdentityError):
    code = "SYSTEM_ROLE"
    status = 409
    default_message = "System roles cannot be changed or deleted"


class SystemPermissionProtected(IdentityError):
    code = "SYSTEM_PERMISSION"
    status = 409
    default_message = "Built-in permissions cannot be changed or deleted"


class LastSuperAdmin(IdentityError):
    code = "LAST_SUPERADMIN"
    status = 409
    default_message = "At least one active super-admin must remain"


class PrivilegeEscalation(PermissionDenied):
    """Granting or assigning what the caller does not hold themself."""

    code = "PRIVILEGE_ESCALATION"
    default_message = "You can only grant permissions you hold yourself"


class TenantFull(Conflict):
    """Adding a member would take a tenant past its ``max_users``."""

    code = "TENANT_FULL"
    default_message = "The organization has no room for another member"


class LocationCodeTaken(Conflict):
    """Another location of the same tenant has the code (codes are unique per tenant)."""

    code = "LOCATION_CODE_TAKEN"
    default_message = "A location with this code already exists in the organization"


class TenantRequired(ValidationFailed):
    """An operation of a tenant without one named, reached or active."""

    code = "TENANT_REQUIRED"
    default_message = "Name the organization (tenant_id)"


class TenantInactive(Conflict):
    """A deactivated tenant refuses new members."""

    code = "TENANT_INACTIVE"
    default_message = "The organization is not active"


class TenantSlugTaken(Conflict):
    """Another tenant has the slug (slugs are unique across the installation)."""

    code = "TENANT_SLUG_TAKEN"
    default_message = "An organization with this slug already exists"


class InvitationInvalid(TokenInvalid):
    """An invitation token that is unknown, used, revoked or expired: one answer for all four,
    so the answer discloses nothing about which."""

    code = "INVITATION_INVALID"
    status = 404
    default_message = "This invitation is not valid: it may have expired or been used"


class InvitationPending(Conflict):
    """The address already has a pending invitation to this tenant."""

    code = "INVITATION_PENDING"
    default_message = "This address already has a pending invitation"


class InvitationNotPending(Conflict):
    """Revoking or resending an invitation that is accepted, revoked or expired."""

    code = "INVITATION_NOT_PENDING"
    default_message = "Only a pending, unexpired invitation can be changed"


class InvitationResendLimit(Conflict):
    """An invitation resent too often within a day."""

    code = "INVITATION_RESEND_LIMIT"
    default_message = "This invitation was resent too often today"


class InviteeAlreadyMember(Conflict):
    """Inviting an address whose account already belongs to the tenant."""

    code = "ALREADY_MEMBER"
    default_message = "This address already belongs to a member of the organization"


class InvitationSignInRequired(Conflict):
    """Accepting for an address that has an account, without being signed in to it."""

    code = "INVITATION_SIGN_IN_REQUIRED"
    default_message = "Sign in to the account of the invited address to accept this invitation"


class SelfRegistrationClosed(PermissionDenied):
    """Registering into a tenant that does not take self-registrations: unknown, inactive or
    closed alike, so the answer does not tell which."""

    code = "SELF_REGISTRATION_NOT_ALLOWED"
    default_message = "This organization does not accept self-registration"


class ReauthenticationRequired(PermissionDenied):
    """A sensitive change needs a password or second-factor check within the last minutes of
    this session (``POST /v1/auth/reauthenticate``)."""

    code = "REAUTHENTICATION_REQUIRED"
    default_message = "Confirm your identity again (re-authenticate) to do this"


class MfaCodeInvalid(InvalidCredentials):
    """A second-factor code that is wrong, used already, expired or malformed."""

    code = "MFA_CODE_INVALID"
    default_message = "The code is not valid"


class MfaNotEnabled(Conflict):
    """A change that needs MFA on, for an account without it."""

    code = "MFA_NOT_ENABLED"
    default_message = "Multi-factor authentication is not enabled"


class MfaAlreadyEnabled(Conflict):
    """Enrolling TOTP again while it is enabled."""

    code = "MFA_ALREADY_ENABLED"
    default_message = "This factor is enabled already"


class MfaSetupRequired(Conflict):
    """Enabling TOTP without a setup in progress (``POST /v1/auth/mfa/setup`` first)."""

    code = "MFA_SETUP_REQUIRED"
    default_message = "Start the setup first: no TOTP secret is waiting to be confirmed"


class WebauthnVerificationFailed(InvalidCredentials):
    """A WebAuthn response that does not prove the ceremony: malformed, wrong origin or relying
    party, a bad signature, an unknown or another user's credential, a used or expired
    challenge, a sign counter that went back."""

    code = "WEBAUTHN_VERIFICATION_FAILED"
    default_message = "The security key or passkey response could not be verified"


class WebauthnCredentialExists(Conflict):
    """Registering an authenticator already registered (to this account or another)."""

    code = "WEBAUTHN_CREDENTIAL_EXISTS"
    default_message = "This security key or passkey is registered already"


class LastFactorRequired(Conflict):
    """Removing the last second factor of an account that must have MFA."""

    code = "MFA_LAST_FACTOR_REQUIRED"
    default_message = "This is your last second factor and MFA is required: add another first"


class DeviceNotCurrent(Conflict):
    """Trusting a device from another device's session: the device token must reach the device
    it trusts, so a device is trusted only from a session on it."""

    code = "DEVICE_NOT_CURRENT"
    default_message = (
        "A device can only be trusted from itself: sign in on that device and trust it there"
    )


class SecondFactorRequired(PermissionDenied):
    """Trusting a device from a session that did not sign in with a second factor (a password
    alone, or a trusted device's skip, must not make a device trusted)."""

    code = "MFA_SECOND_FACTOR_REQUIRED"
    default_message = "Trust a device from a session that signed in with a second factor"
