"""Cursor pagination for connections (with ``strawberry.relay.PageInfo``): opaque offset
cursors and a sort direction.

A cursor is the position of an edge in the ordered result, encoded so that clients treat
it as opaque; ``after: cursor`` continues right after that edge. Positions are stable while
the ordered set does not change (new accounts sort last in the default order).
"""

from __future__ import annotations

import base64
import binascii
from enum import Enum

import strawberry

from identity.errors import ValidationFailed

_PREFIX = "cursor:v1:"


@strawberry.enum(description="Ascending or descending.")
class SortDirection(Enum):
    ASC = strawberry.enum_value("asc", description="Smallest first.")
    DESC = strawberry.enum_value("desc", description="Largest first.")


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
    if position < 0:
        raise ValidationFailed("Invalid cursor", field=field)
    return position + 1
