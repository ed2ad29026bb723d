"""Helpers every service shares, written once: get-or-404, pages, partial-update changes.

- ``get_or_404``: a row by primary key or ``NotFound`` (``RESOURCE_NOT_FOUND``, 404) with the
  capability's own message and field.
- ``PageRequest`` / ``Page``: which slice (``offset``/``limit``) and what came back (the items,
  the total, whether there is more). ``PageRequest.checked`` refuses a bad slice (the users
  listing), ``PageRequest.clamped`` bends it into range (roles, holders).
- ``UNSET`` and ``given``: a partial update names the fields it changes; ``UNSET`` marks the
  ones it leaves alone (``None`` clears a nullable one).

Text cleaning lives in ``text_rules``.
"""

from __future__ import annotations

import dataclasses
import uuid
from dataclasses import dataclass
from enum import Enum
from typing import Any, Final, Generic, TypeVar

from sqlalchemy import Select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import SQLModel

from identity.errors import NotFound, ValidationFailed

T = TypeVar("T")
Row = TypeVar("Row", bound=SQLModel)
S = TypeVar("S", bound=Select[Any])


async def get_or_404(
    session: AsyncSession,
    model: type[Row],
    key: uuid.UUID,
    *,
    message: str,
    field: str | None = None,
    lock: bool = False,
) -> Row:
    """The ``model`` row ``key`` (``lock``: read FOR UPDATE), or NotFound saying ``message``."""
    row = await session.get(model, key, with_for_update=lock or None)
    if row is None:
        raise NotFound(message, field=field)
    return row


@dataclass(frozen=True, slots=True)
class PageRequest:
    """A slice of a listing: ``limit`` items after the first ``offset``."""

    offset: int = 0
    limit: int = 20

    @classmethod
    def checked(cls, offset: int, limit: int, *, max_limit: int) -> PageRequest:
        """The slice as asked; ValidationFailed when ``limit`` is not 0 to ``max_limit`` or
        ``offset`` is negative."""
        if not 0 <= limit <= max_limit:
            raise ValidationFailed(f"Page size must be 0 to {max_limit}", field="limit")
        if offset < 0:
            raise ValidationFailed("Offset cannot be negative", field="offset")
        return cls(offset, limit)

    @classmethod
    def clamped(cls, offset: int, limit: int, *, max_limit: int) -> PageRequest:
        """The slice brought into range: offset at least 0, limit 1 to ``max_limit``."""
        return cls(max(offset, 0), max(1, min(limit, max_limit)))

    def apply(self, statement: S) -> S:
        return statement.offset(self.offset).limit(self.limit)


@dataclass(frozen=True, slots=True)
class Page(Generic[T]):
    """One slice of a listing and the listing's total."""

    items: list[T]
    total: int
    offset: int
    limit: int

    @property
    def has_next(self) -> bool:
        return self.offset + len(self.items) < self.total


class Unset(Enum):
    """Marks a field a partial update leaves as it is (``None`` clears a nullable one)."""

    UNSET = "UNSET"


UNSET: Final = Unset.UNSET


def given(changes: Any) -> dict[str, Any]:
    """The fields of a changes dataclass that are not UNSET, by name, in declaration order."""
    found = {field.name: getattr(changes, field.name) for field in dataclasses.fields(changes)}
    return {name: value for name, value in found.items() if value is not UNSET}
