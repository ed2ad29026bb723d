"""Expected failures are data: each mutation's union holds some of these error types."""

from __future__ import annotations

from datetime import datetime

import strawberry

from identity import errors as domain


@strawberry.interface(description="What every expected failure carries.")
class Error:
    code: str = strawberry.field(description="Stable machine-readable code, e.g. TOKEN_EXPIRED.")
    message: str = strawberry.field(description="Human-readable explanation.")
    field: str | None = strawberry.field(description="The input field at fault, if any.")


@strawberry.type(description="An input broke a rule (format, password policy, ...).")
class ValidationError(Error):
    pass


@strawberry.type(description="Wrong identifier or password; unknown accounts look the same.")
class InvalidCredentials(Error):
    pass


@strawberry.type(description="Too many failed attempts or locked by an administrator.")
class AccountLocked(Error):
    locked_until: datetime | None = strawberry.field(description="When logins open again.")


@strawberry.type(description="Too many failed attempts at this operation; wait and retry.")
class TooManyAttempts(Error):
    locked_until: datetime | None = strawberry.field(description="When attempts open again.")


@strawberry.type(description="The account is deactivated.")
class AccountDisabled(Error):
    pass


@strawberry.type(description="A token is malformed, unknown, revoked or for another purpose.")
class TokenInvalid(Error):
    pass


@strawberry.type(description="A token or session has expired.")
class TokenExpired(Error):
    pass


@strawberry.type(description="A refresh token was replayed; its whole session was revoked.")
class TokenReused(Error):
    pass


@strawberry.type(description="A cookie-authenticated call came without its X-CSRF-Token.")
class CsrfFailed(Error):
    pass


@strawberry.type(description="Logins need a verified email address (runtime setting).")
class EmailNotVerified(Error):
    pass


@strawberry.type(description="The feature is turned off by a runtime setting.")
class FeatureDisabled(Error):
    pass


@strawberry.type(description="The email address is verified already.")
class AlreadyVerified(Error):
    pass


@strawberry.type(description="No account uses the address; a sign-up needs allowRegistration.")
class AccountNotFound(Error):
    pass


@strawberry.type(description="The caller lacks the permission the operation needs.")
class PermissionDenied(Error):
    pass


@strawberry.type(description="Something with that identity already exists.")
class Conflict(Error):
    pass


@strawberry.type(description="No such object, or not visible to the caller.")
class NotFound(Error):
    pass


@strawberry.type(
    description="A built-in role or permission (SYSTEM_ROLE, SYSTEM_PERMISSION): it cannot be "
    "changed or deleted."
)
class ProtectedResource(Error):
    pass


@strawberry.type(description="The change would leave no active super-admin (LAST_SUPERADMIN).")
class LastSuperAdmin(Error):
    pass


_TYPES: dict[type[domain.IdentityError], type[Error]] = {
    domain.ValidationFailed: ValidationError,
    domain.InvalidCredentials: InvalidCredentials,
    domain.AccountDisabled: AccountDisabled,
    domain.TokenInvalid: TokenInvalid,
    domain.TokenExpired: TokenExpired,
    domain.TokenReused: TokenReused,
    domain.CsrfFailed: CsrfFailed,
    domain.Conflict: Conflict,
    domain.PermissionDenied: PermissionDenied,
    domain.AlreadyVerified: AlreadyVerified,
    domain.EmailNotVerified: EmailNotVerified,
    domain.FeatureDisabled: FeatureDisabled,
    domain.AccountNotFound: AccountNotFound,
    domain.NotFound: NotFound,
    domain.SystemRoleProtected: ProtectedResource,
    domain.SystemPermissionProtected: ProtectedResource,
    domain.LastSuperAdmin: LastSuperAdmin,
}


def error_from(exc: domain.IdentityError, *allowed: type[Error]) -> Error:
    """The GraphQL error for a domain error; one the field's union lacks is re-raised."""
    until = exc.details.get("locked_until")
    locked_until = datetime.fromisoformat(until) if isinstance(until, str) else None
    if isinstance(exc, domain.TooManyAttempts) and TooManyAttempts in allowed:
        return TooManyAttempts(
            code=exc.code, message=exc.message, field=exc.field, locked_until=locked_until
        )
    if isinstance(exc, domain.AccountLocked) and AccountLocked in allowed:
        return AccountLocked(
            code=exc.code,
            message=exc.message,
            field=exc.field,
            locked_until=locked_until,
        )
    for kind in type(exc).__mro__:
        error_type = _TYPES.get(kind)
        if error_type is not None and error_type in allowed:
            return error_type(code=exc.code, message=exc.message, field=exc.field)
    raise exc
