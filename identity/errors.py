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


class ServiceUnavailable(IdentityError):
    code = "SERVICE_UNAVAILABLE"
    status = 503
    default_message = "Service temporarily unavailable"


class ConfigurationError(Exception):
    """The settings cannot run the service; each problem names the setting."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = problems
        super().__init__("; ".join(problems))
