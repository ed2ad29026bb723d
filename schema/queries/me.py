"""The caller's own account."""

from __future__ import annotations

import strawberry
from strawberry.types import Info

from schema.context import Context
from schema.declare import PUBLIC, query
from schema.permissions import caller
from schema.types.user import User


@strawberry.type
class MeQuery:
    @query(
        "The authenticated user; null without a bearer token. An invalid or expired token is "
        "an error with extensions.code TOKEN_INVALID/TOKEN_EXPIRED; a token that may only "
        "change the password, PASSWORD_CHANGE_REQUIRED.",
        access=PUBLIC,
    )
    async def me(self, info: Info[Context, None]) -> User | None:
        principal = await caller(info)
        if principal is None:
            return None
        return User.from_model(principal.user)
