"""Query parameters of every REST list, typed once with the pagination rule's bounds
(``identity.pagination``), so FastAPI answers 422 ``VALIDATION_ERROR`` naming the parameter.

The bounds are ``annotated_types`` constraints, which both FastAPI parameters and pydantic
models (the lists' parameter models) read, and which ``/openapi.json`` documents.
"""

from __future__ import annotations

import uuid
from typing import Annotated, Final

from annotated_types import Ge, Le, MaxLen
from pydantic import AfterValidator, BeforeValidator

from identity.pagination import CONTROL_CHARACTERS, MAX_OFFSET, MAX_PAGE, MAX_SEARCH_LENGTH
from identity.services.roles import MAX_PAGE as MAX_ROLES_PAGE
from identity.services.users_admin import MAX_PAGE_SIZE as MAX_USERS_PAGE


def _no_control_characters(value: str) -> str:
    if CONTROL_CHARACTERS.search(value):
        raise ValueError("must not contain control characters")
    return value


Offset = Annotated[int, Ge(0), Le(MAX_OFFSET)]
"""``skip`` and ``offset``: 0 to 1,000,000."""
Page = Annotated[int, Ge(1), Le(MAX_PAGE)]
"""``page``: 1 to 10,000."""
FilterText = Annotated[str, MaxLen(MAX_SEARCH_LENGTH), AfterValidator(_no_control_characters)]
"""``search``, ``role``, ``resource``, ``action``: at most 200 characters and no control
characters (PostgreSQL refuses a NUL byte)."""


UsersPageSize = Annotated[int, Ge(1), Le(MAX_USERS_PAGE)]
"""``size`` and ``limit`` of users lists: 1 to 100."""
RolesPageSize = Annotated[int, Ge(1), Le(MAX_ROLES_PAGE)]
"""``limit`` of roles lists: 1 to 500."""


NO_SUCH_ID: Final = uuid.UUID(int=0)
"""The nil UUID: never an id of ours (ids are random or time-ordered UUIDs)."""


def _read_id(value: object) -> object:
    """A malformed id names nothing, like a well-formed id that no row carries."""
    if isinstance(value, str):
        try:
            return uuid.UUID(value)
        except ValueError:
            return NO_SUCH_ID
    return value


Id = Annotated[uuid.UUID, BeforeValidator(_read_id)]
"""An id in a path (``/users/{user_id}``): a malformed one is read as an id no row carries, so
it gets the answer of a well-formed id that does not exist (401 or 403 first, then 404 with the
resource's message), never a 422 that would tell ids apart by shape."""
