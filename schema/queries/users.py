"""Users administration reads: the users connection and one user."""

from __future__ import annotations

import uuid

import strawberry
from graphql import GraphQLError
from strawberry.types import Info

from identity.errors import IdentityError, NotFound
from identity.permissions import Permission
from identity.services import users_admin
from schema.context import Context
from schema.permissions import HasPermission, requires
from schema.selection import under
from schema.types.pagination import decode_cursor
from schema.types.user import User
from schema.types.users import UserConnection, UserFilter, UserOrder, user_query


def _graphql_error(exc: IdentityError) -> GraphQLError:
    extensions: dict[str, object] = {"code": exc.code}
    if exc.field:
        extensions["field"] = exc.field
    return GraphQLError(exc.message, extensions=extensions)


@strawberry.type
class UsersQuery:
    @strawberry.field(
        description="Users, a page at a time: `first` (at most 100) after the cursor "
        "`after`, filtered and ordered; `totalCount` counts every match. "
        f"{requires(Permission.USERS_READ)}",
        permission_classes=[HasPermission(Permission.USERS_READ)],
    )
    async def users(
        self,
        info: Info[Context, None],
        first: int = 20,
        after: str | None = None,
        filter: UserFilter | None = None,
        order_by: UserOrder | None = None,
    ) -> UserConnection:
        try:
            query = user_query(
                first=first, offset=decode_cursor(after), filter=filter, order=order_by
            )
            page = await users_admin.list_users(
                info.context.deps, principal=await info.context.principal(), query=query
            )
        except IdentityError as exc:
            raise _graphql_error(exc) from exc
        await info.context.loaders.prime_users(
            [user.id for user in page.users],
            under(info.selected_fields, "users", "edges", "node"),
        )
        return UserConnection.from_page(page)

    @strawberry.field(
        description=f"One user by id; null when there is none. {requires(Permission.USERS_READ)}",
        permission_classes=[HasPermission(Permission.USERS_READ)],
    )
    async def user(self, info: Info[Context, None], id: strawberry.ID) -> User | None:
        try:
            user_id = uuid.UUID(str(id))
        except ValueError:
            return None
        try:
            row = await users_admin.get_user(
                info.context.deps, principal=await info.context.principal(), user_id=user_id
            )
        except NotFound:
            return None
        except IdentityError as exc:
            raise _graphql_error(exc) from exc
        return User.from_model(row)
