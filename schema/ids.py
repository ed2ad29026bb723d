"""Ids as GraphQL receives them: a malformed id is answered as an unknown one.

A mutation answers its ``NotFound`` member (``RESOURCE_NOT_FOUND``, with the argument in
``field``), a lookup query ``null``: whether an id exists cannot be told from its shape.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence

import strawberry

from identity.errors import NotFound


def parse_id(value: strawberry.ID | str, *, field: str = "id") -> uuid.UUID:
    try:
        return uuid.UUID(str(value))
    except ValueError:
        raise NotFound(field=field) from None


def parse_ids(values: Sequence[strawberry.ID | str], *, field: str) -> list[uuid.UUID]:
    return [parse_id(value, field=field) for value in values]
