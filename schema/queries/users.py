"""Users administration reads: the users connection and one user."""

from __future__ import annotations

from dataclasses import replace

import strawberry
from strawberry.types import Info

from identity.errors import IdentityError, NotFound
from identity.permissions import Permission
from identity.services import users_admin
from identity.services.users_admin.shapes import TotalCount
from schema.context import Context
from schema.declare import needs, query
from schema.ids import parse_id
from schema.selection import selects, under
from schema.types.pagination import check_list_arguments, decode_position, graphql_error
from schema.types.user import User
from schema.types.users import UserConnection, UserFilter, UserOrder, user_query


@strawberry.type
class UsersQuery:
    @query(
        "Users, a page at a time: `first` (1 to 100) after the cursor `after`, filtered and "
        "ordered; `totalCount` counts every match (only when selected; a count up to a few "
        "seconds old may answer, but a change made through this server is counted at once).",
        access=needs(Permission.USERS_READ),
    )
    async def users(
        self,
        info: Info[Context, None],
        first: int = 20,
        after: str | None = None,
        filter: UserFilter | None = None,
        order_by: UserOrder | None = None,
    ) -> UserConnection:
        check_list_arguments(
            limit=first,
            max_limit=users_admin.MAX_PAGE_SIZE,
            limit_name="first",
            texts={
                "filter.search": filter.search if filter else None,
                "filter.role": filter.role if filter else None,
            },
        )
        selected = under(info.selected_fields, "users")
        counted = selects(selected, "totalCount")
        try:
            query = user_query(
                first=first,
                filter=filter,
                order=order_by,
                total=TotalCount.RECENT if counted else TotalCount.SKIP,
            )
            query = replace(query, after=decode_position(after, query))
            page = await users_admin.list_users(
                info.context.deps, principal=await info.context.principal(), query=query
            )
        except IdentityError as exc:
            raise graphql_error(exc) from exc
        await info.context.loaders.prime_users(
            [user.id for user in page.users], under(selected, "edges", "node")
        )
        return UserConnection.from_page(page, query, cursors=selects(selected, "edges", "cursor"))

    @query("One user by id; null when there is none.", access=needs(Permission.USERS_READ))
    async def user(self, info: Info[Context, None], id: strawberry.ID) -> User | None:
        try:
            row = await users_admin.get_user(
                info.context.deps, principal=await info.context.principal(), user_id=parse_id(id)
            )
        except NotFound:
            return None
        except IdentityError as exc:
            raise graphql_error(exc) from exc
        return User.from_model(row)
