"""Access declared on fields: refusals become errors with a stable ``extensions.code``."""

from __future__ import annotations

from functools import cache
from typing import Any

from graphql import GraphQLError
from strawberry.permission import BasePermission
from strawberry.types import Info

from identity.errors import AuthenticationRequired, IdentityError, PermissionDenied
from identity.permissions import Permission
from identity.principal import Principal
from schema.context import Context

AUTHENTICATED = "Requires: authentication (Authorization: Bearer <access token>)."


async def caller(info: Info[Context, None]) -> Principal | None:
    """The authenticated caller; a bad token is an error with its stable code."""
    try:
        return await info.context.principal()
    except IdentityError as exc:
        raise GraphQLError(exc.message, extensions={"code": exc.code}) from exc


class IsAuthenticated(BasePermission):
    message = AuthenticationRequired.default_message
    error_extensions = {"code": AuthenticationRequired.code}

    async def has_permission(self, source: Any, info: Info[Context, None], **kwargs: Any) -> bool:
        return await caller(info) is not None


def requires(permission: Permission) -> str:
    """The sentence a field's description carries, so the SDL documents access."""
    return f"Requires: the {permission.value} permission."


@cache
def HasPermission(permission: Permission) -> type[BasePermission]:
    """A permission class refusing callers without ``permission`` (AUTHENTICATION_REQUIRED
    when anonymous), for ``permission_classes=[HasPermission(Permission.X)]``.

    A class factory, not a class: Strawberry instantiates each entry of
    ``permission_classes`` itself, so an instance there fails when the schema is built.
    """

    class Has(BasePermission):
        message = f"Requires the {permission.value} permission"
        error_extensions = {"code": PermissionDenied.code}

        async def has_permission(
            self, source: Any, info: Info[Context, None], **kwargs: Any
        ) -> bool:
            if await caller(info) is None:
                raise GraphQLError(
                    AuthenticationRequired.default_message,
                    extensions={"code": AuthenticationRequired.code},
                )
            return permission.value in await info.context.permissions()

    Has.__name__ = Has.__qualname__ = f"HasPermission_{permission.name}"
    return Has
