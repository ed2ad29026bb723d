"""The one pagination rule of every list, REST and GraphQL alike.

Every position and page size a client sends is bounded before it reaches a query: an offset
past what a database integer holds used to be a 500 (``?page=1185530747884384768``), and a
page size past the maximum was silently clamped on some lists and refused on others. Out of
bounds is refused, naming the parameter: 422 ``VALIDATION_ERROR`` on REST, the same code on
GraphQL. Text filters (``search`` and the like) refuse control characters: PostgreSQL cannot
store or compare a NUL byte, and no name or address contains one.
"""

from __future__ import annotations

import re
from typing import Final

from identity.errors import ValidationFailed

MAX_OFFSET: Final = 1_000_000
"""The furthest position (``skip``, ``offset``, a cursor) a list may start at."""
MAX_PAGE: Final = 10_000
"""The highest page number; at the largest page size (100) it stays within MAX_OFFSET."""
MAX_SEARCH_LENGTH: Final = 200
CONTROL_CHARACTERS = re.compile(r"[\x00-\x1f\x7f]")


def check_window(
    *,
    offset: int,
    limit: int,
    max_limit: int,
    offset_name: str = "offset",
    limit_name: str = "limit",
) -> None:
    """``offset`` in 0..MAX_OFFSET and ``limit`` in 1..``max_limit``, or ValidationFailed."""
    if not 0 <= offset <= MAX_OFFSET:
        raise ValidationFailed(
            f"'{offset_name}' must be between 0 and {MAX_OFFSET}", field=offset_name
        )
    if not 1 <= limit <= max_limit:
        raise ValidationFailed(
            f"'{limit_name}' must be between 1 and {max_limit}", field=limit_name
        )


def text_problem(value: str) -> str | None:
    """Why ``value`` cannot be a list filter, or None."""
    if len(value) > MAX_SEARCH_LENGTH:
        return f"must be at most {MAX_SEARCH_LENGTH} characters"
    if CONTROL_CHARACTERS.search(value):
        return "must not contain control characters"
    return None


def check_text(value: str | None, *, field: str) -> None:
    """A text filter, or ValidationFailed naming ``field``."""
    problem = text_problem(value) if value is not None else None
    if problem is not None:
        raise ValidationFailed(f"'{field}' {problem}", field=field)
