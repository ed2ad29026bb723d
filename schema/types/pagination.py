"""Cursor pagination for connections (with ``strawberry.relay.PageInfo``): opaque cursors
and a sort direction.

A cursor is the position of an edge in the ordered result, encoded so that clients treat
it as opaque; ``after: cursor`` continues right after that edge. Most connections count
positions (offset cursors: stable while the ordered set does not change). The users
connection's cursors carry the edge's sort key and id instead (keyset: the next page is a
seek, as cheap deep in a million accounts as at the start, and an account added or removed
meanwhile shifts nothing); they name their order and filters, and one made for another
order or filter, an offset cursor or a malformed one is refused (``VALIDATION_ERROR`` on
``after``). A well-formed cursor only names a place in the order: the caller's filters and
reach still decide which accounts come after it.

Arguments are held to the one pagination rule (``identity.pagination``): out of bounds is an
error with the code ``VALIDATION_ERROR`` and the argument's name in ``field``, never a clamp
and never a database error.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import struct
import uuid
from datetime import UTC, datetime, timedelta

from graphql import GraphQLError

from identity.errors import IdentityError, ValidationFailed
from identity.pagination import MAX_OFFSET, check_text, check_window
from identity.services.users_admin import SortField, SortOrder
from identity.services.users_admin.shapes import UserPosition, UserQuery
from schema.enums import graphql_enum

_PREFIX = "cursor:v1:"
_KEYSET = b"u2"
_MICROSECOND = timedelta(microseconds=1)
_MAX_CURSOR = 1024


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


_SORTS = {SortField.CREATED_AT: b"c", SortField.EMAIL: b"e", SortField.LAST_LOGIN: b"l"}
_ORDERS = {SortOrder.ASC: b"a", SortOrder.DESC: b"d"}
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_TIME = struct.Struct(">q")


def keyset_prefix(query: UserQuery) -> bytes:
    """What every cursor of ``query``'s pages starts with: the version, the order and a
    digest of the filters (9 bytes)."""
    digest = hashlib.blake2s(repr(query.filters).encode(), digest_size=6).digest()
    return _KEYSET + _SORTS[query.sort] + _ORDERS[query.order] + digest


def encode_position(prefix: bytes, position: UserPosition) -> str:
    """The prefix, the id (16 bytes), then the sort key: microseconds since 1970 (8 bytes),
    the text, or nothing for none; URL-safe base64 without padding."""
    value = position.value
    if value is None:
        kept = b""
    elif isinstance(value, datetime):
        kept = _TIME.pack((value - _EPOCH) // _MICROSECOND)
    else:
        kept = value.encode()
    packed = prefix + position.id.bytes + kept
    return base64.urlsafe_b64encode(packed).rstrip(b"=").decode("ascii")


def decode_position(
    cursor: str | None, query: UserQuery, *, field: str = "after"
) -> UserPosition | None:
    """The position ``cursor`` names in ``query``'s order (None without one); refused
    unless made for the same order and filters, and well formed."""
    if cursor is None:
        return None
    refused = ValidationFailed("Invalid cursor", field=field)
    if len(cursor) > _MAX_CURSOR:
        raise refused
    try:
        packed = base64.urlsafe_b64decode(cursor.encode("ascii") + b"=" * (-len(cursor) % 4))
        prefix = keyset_prefix(query)
        if not packed.startswith(prefix) or len(packed) < len(prefix) + 16:
            raise ValueError(cursor)
        user_id = uuid.UUID(bytes=packed[len(prefix) : len(prefix) + 16])
        kept = packed[len(prefix) + 16 :]
        value: datetime | str | None
        if query.sort is SortField.EMAIL:
            value = kept.decode("utf-8")
            if not 0 < len(value) <= 320:
                raise ValueError(cursor)
        elif not kept and query.sort is SortField.LAST_LOGIN:
            value = None
        elif len(kept) == _TIME.size:
            value = _EPOCH + timedelta(microseconds=_TIME.unpack(kept)[0])
        else:
            raise ValueError(cursor)
    except (ValueError, UnicodeError, binascii.Error, OverflowError):
        raise refused from None
    return UserPosition(value, user_id)


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
