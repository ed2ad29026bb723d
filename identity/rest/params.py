"""Query parameters of every REST list, typed once with the pagination rule's bounds
(``identity.pagination``), so FastAPI answers 422 ``VALIDATION_ERROR`` naming the parameter.

The bounds are ``annotated_types`` constraints, which both FastAPI parameters and pydantic
models (the lists' parameter models) read, and which ``/openapi.json`` documents.
"""

from __future__ import annotations

from typing import Annotated

from annotated_types import Ge, Le, MaxLen
from pydantic import AfterValidator

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
