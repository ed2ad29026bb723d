"""Cursor pagination for connections (with ``strawberry.relay.PageInfo``): opaque offset
cursors and a sort direction.

A cursor is the position of an edge in the ordered result, encoded so that clients treat
it as opaque; ``after: cursor`` continues right after that edge. Positions are stable while
the ordered set does not change (new accounts sort last in the default order).

Arguments are held to the one pagination rule (``identity.pagination``): out of bounds is an
error with the code ``VALIDATION_ERROR`` and the argument's name in ``field``, never a clamp
and never a database error.
"""

from __future__ import annotations

import base64
import binascii

from graphql import GraphQLError

from identity.errors import IdentityError, ValidationFailed
from identity.pagination import MAX_OFFSET, check_text, check_window
from identity.services.users_admin import SortOrder
from schema.enums import graphql_enum

_PREFIX = "cursor:v1:"


graphql_enum(
    SortOrder,
    name="SortDirection",
    description="Ascending or descending.",
    values={SortOrder.ASC: "Smallest first.", SortOrder.DESC: "Largest first."},
)


def encode_cursor(position: int) -> str:
    return base64.urlsafe_b64encode(f"{_PREFIX}{position}".encode()).decode("ascii")


def decode_cursor(cursor: str | None, *, field: str = "after") -> int:
    """The offset right after ``cursor`` (0 without one); a foreign cursor is refused."""
    if cursor is None:
        return 0
    try:
        text = base64.urlsafe_b64decode(cursor.encode("ascii")).decode("utf-8")
        if not text.startswith(_PREFIX):
            raise ValueError(text)
        position = int(text.removeprefix(_PREFIX))
    except (ValueError, UnicodeError, binascii.Error):
        raise ValidationFailed("Invalid cursor", field=field) from None
    if not 0 <= position < MAX_OFFSET:
        raise ValidationFailed("Invalid cursor", field=field)
    return position + 1


def graphql_error(exc: IdentityError) -> GraphQLError:
    """A domain refusal raised from a query field: its message, code and field."""
    extensions: dict[str, object] = {"code": exc.code}
    if exc.field:
        extensions["field"] = exc.field
    return GraphQLError(exc.message, extensions=extensions)


def check_list_arguments(
    *,
    offset: int = 0,
    limit: int | None = None,
    max_limit: int = 0,
    offset_name: str = "offset",
    limit_name: str = "limit",
    texts: dict[str, str | None] | None = None,
) -> None:
    """A list field's arguments against the pagination rule (the window when ``limit`` is
    given, and the text filters); GraphQLError when refused."""
    try:
        if limit is not None:
            check_window(
                offset=offset,
                limit=limit,
                max_limit=max_limit,
                offset_name=offset_name,
                limit_name=limit_name,
            )
        for name, value in (texts or {}).items():
            check_text(value, field=name)
    except IdentityError as exc:
        raise graphql_error(exc) from exc
