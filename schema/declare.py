"""One declaration per operation: who may call it, the sentence saying so, its expected errors.

A mutation is declared with ``@mutation(description, access=...)`` and annotated with its
own result union (``XResult = Annotated[Payload | NotFound | ..., strawberry.union(...)]``).
``access`` gives the permission classes and appends the sentence that documents them in the
SDL; the resolver raises the service's ``IdentityError`` and returns only its payload: the
``ExpectedErrors`` extension turns a raised error into the union's error member, read from
the union itself, so the members are written once (an error the union lacks stays a
GraphQL error with its ``extensions.code``).

Query fields use ``@query(description, access=...)``: their refusals are always errors with
``extensions.code`` (AUTHENTICATION_REQUIRED, PERMISSION_DENIED, or the service's code).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import strawberry
from strawberry.extensions import FieldExtension
from strawberry.permission import BasePermission
from strawberry.types import Info
from strawberry.types.field import StrawberryField
from strawberry.types.union import StrawberryUnion

from identity.errors import IdentityError
from identity.permissions import Permission
from schema.errors import Error, error_from
from schema.permissions import AUTHENTICATED, HasPermission, IsAuthenticated, requires


@dataclass(frozen=True, slots=True)
class Access:
    """Who may call a field: the sentence its description ends with, and the checks."""

    sentence: str
    checks: tuple[type[BasePermission], ...] = ()


PUBLIC = Access("Public.")
SIGNED_IN = Access(AUTHENTICATED, (IsAuthenticated,))


def needs(*permissions: Permission) -> Access:
    """Every permission given, each named in the description and checked on the field."""
    return Access(
        " ".join(requires(one) for one in permissions),
        tuple(HasPermission(one) for one in permissions),
    )


def error_members(field: StrawberryField) -> tuple[type[Error], ...]:
    """The error types of a field's result union; none for a plain result type."""
    kind = field.type
    if not isinstance(kind, StrawberryUnion):
        return ()
    return tuple(
        member for member in kind.types if isinstance(member, type) and issubclass(member, Error)
    )


class ExpectedErrors(FieldExtension):
    """A domain error the resolver raises becomes its member of the field's result union."""

    members: tuple[type[Error], ...] = ()

    def apply(self, field: StrawberryField) -> None:
        self.members = error_members(field)

    async def resolve_async(
        self,
        next_: Callable[..., Awaitable[Any]],
        source: Any,
        info: Info[Any, Any],
        **kwargs: Any,
    ) -> Any:
        try:
            return await next_(source, info, **kwargs)
        except IdentityError as exc:
            return error_from(exc, *self.members)


def _described(description: str, access: Access) -> str:
    return f"{description} {access.sentence}"


def mutation(description: str, *, access: Access) -> Any:
    """Declare a mutation: ``access`` checked and documented, expected errors as members."""
    return strawberry.mutation(
        description=_described(description, access),
        permission_classes=list(access.checks),
        extensions=[ExpectedErrors()],
    )


def query(description: str, *, access: Access) -> Any:
    """Declare a query field: ``access`` checked and documented; refusals are errors."""
    return strawberry.field(
        description=_described(description, access), permission_classes=list(access.checks)
    )
