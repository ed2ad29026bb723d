"""Users administration as GraphQL sees it: the users connection, its inputs and payloads."""

from __future__ import annotations

from typing import TypeVar

import strawberry
from strawberry.relay import PageInfo
from strawberry.types.unset import UnsetType

from identity.models.user import UserStatus
from identity.services import users_admin
from identity.services.users_admin import BulkAction, SortField, SortOrder
from identity.services.users_admin.shapes import TotalCount
from schema.enums import graphql_enum
from schema.types.pagination import encode_position, keyset_prefix
from schema.types.user import User

T = TypeVar("T")


graphql_enum(
    UserStatus,
    name="UserStatus",
    description="Account states.",
    values={
        UserStatus.ACTIVE: "May log in.",
        UserStatus.INACTIVE: "Deactivated: may not log in.",
        UserStatus.LOCKED: "Locked by an administrator.",
        UserStatus.PENDING: "Created, not yet active.",
    },
)
graphql_enum(
    SortField,
    name="UserSortField",
    description="What users can be ordered by.",
    values={
        SortField.CREATED_AT: "When the account was created.",
        SortField.EMAIL: "Email address.",
        SortField.LAST_LOGIN: "Last successful login.",
    },
)
graphql_enum(
    BulkAction,
    name="BulkUserAction",
    description="An action a bulkUserAction applies to each user.",
    values={
        BulkAction.ACTIVATE: "Allow logins again.",
        BulkAction.DEACTIVATE: "Stop logins and end sessions.",
        BulkAction.LOCK: "Lock and end sessions.",
        BulkAction.UNLOCK: "Lift a lock.",
        BulkAction.DELETE: "Delete the account.",
        BulkAction.ASSIGN_ROLE: "Give the role named in the input.",
    },
)


@strawberry.input(description="Which users to list; every condition given must hold.")
class UserFilter:
    search: str | None = strawberry.field(
        default=None,
        description="Part of the email, username or name; case-insensitive.",
    )
    role: str | None = strawberry.field(
        default=None, description="Holds this role (primary or extra), by name."
    )
    status: UserStatus | None = strawberry.field(default=None, description="In this state.")
    is_active: bool | None = strawberry.field(default=None, description="Active or not.")
    admins_only: bool = strawberry.field(
        default=False, description="Only administrators: primary role other than 'user'."
    )


@strawberry.input(description="The order of a users list; ties are broken by id.")
class UserOrder:
    field: SortField = strawberry.field(
        default=SortField.CREATED_AT, description="What to order by."
    )
    direction: SortOrder = strawberry.field(
        default=SortOrder.ASC,
        description="ASC or DESC; users who never logged in come last by lastLogin.",
    )


def user_query(
    *,
    first: int,
    filter: UserFilter | None,
    order: UserOrder | None,
    total: TotalCount = TotalCount.EXACT,
) -> users_admin.UserQuery:
    filter = filter or UserFilter()
    order = order or UserOrder()
    return users_admin.UserQuery(
        search=filter.search,
        role=filter.role,
        status=filter.status,
        is_active=filter.is_active,
        admins_only=filter.admins_only,
        sort=order.field,
        order=order.direction,
        limit=first,
        total=total,
    )


@strawberry.type(description="A user in a connection, with its cursor.")
class UserEdge:
    cursor: str = strawberry.field(description="Opaque position; pass it as `after`.")
    node: User = strawberry.field(description="The user.")


@strawberry.type(description="A page of users, with the total that match.")
class UserConnection:
    edges: list[UserEdge] = strawberry.field(description="The users of this page, in order.")
    page_info: PageInfo = strawberry.field(description="Cursors and whether more pages exist.")
    total_count: int = strawberry.field(
        description="How many users match, across all pages (counted only when asked)."
    )

    @classmethod
    def from_page(
        cls, page: users_admin.UserPage, query: users_admin.UserQuery, *, cursors: bool = True
    ) -> UserConnection:
        """``cursors``: each edge's own (the page's first and last are always given)."""
        prefix = keyset_prefix(query)
        sort = query.sort
        rows = page.users
        edges = [
            UserEdge(
                cursor=encode_position(prefix, row.position(sort)) if cursors else "",
                node=User.from_model(row),
            )
            for row in rows
        ]
        return cls(
            edges=edges,
            page_info=PageInfo(
                has_next_page=page.has_next,
                has_previous_page=page.has_previous,
                start_cursor=encode_position(prefix, rows[0].position(sort)) if rows else None,
                end_cursor=encode_position(prefix, rows[-1].position(sort)) if rows else None,
            ),
            total_count=page.total or 0,
        )


@strawberry.input(description="A new account, created by an administrator.")
class CreateUserInput:
    email: str = strawberry.field(description="Email address; unique, case-insensitive.")
    password: str = strawberry.field(description="Initial password; the policy applies.")
    username: str | None = strawberry.field(default=None, description="Optional unique name.")
    first_name: str | None = strawberry.field(default=None, description="Given name.")
    last_name: str | None = strawberry.field(default=None, description="Family name.")
    display_name: str | None = strawberry.field(default=None, description="Name shown.")
    role: str | None = strawberry.field(
        default=None,
        description="Primary role; 'user' by default ('admin' for createAdminUser). "
        "Only roles whose permissions the caller holds.",
    )
    status: UserStatus | None = strawberry.field(
        default=None, description="Initial state; ACTIVE by default."
    )
    is_active: bool | None = strawberry.field(
        default=None, description="Whether it may log in; follows status by default."
    )
    email_verified: bool = strawberry.field(
        default=False, description="Mark the address as verified."
    )
    must_change_password: bool = strawberry.field(
        default=False, description="Ask for a new password at next login."
    )
    permissions: list[str] = strawberry.field(
        default_factory=list,
        description="Direct permission grants; needs permissions:write as well.",
    )

    def new_user(self, *, default_role: str) -> users_admin.NewUser:
        return users_admin.NewUser(
            email=self.email,
            password=self.password,
            username=self.username,
            first_name=self.first_name,
            last_name=self.last_name,
            display_name=self.display_name,
            role=self.role or default_role,
            status=self.status,
            is_active=self.is_active,
            email_verified=self.email_verified,
            must_change_password=self.must_change_password,
            permissions=self.permissions,
        )


def _given(value: T | UnsetType) -> T | users_admin.Unset:
    return users_admin.UNSET if isinstance(value, UnsetType) else value


def _given_value(value: T | UnsetType | None) -> T | users_admin.Unset:
    """Fields that cannot be null: null, like omission, leaves them as they are."""
    return users_admin.UNSET if value is None or isinstance(value, UnsetType) else value


@strawberry.input(
    description="Fields to change. In updateUser omitted fields stay and null clears a "
    "profile field; in replaceUser omitted profile fields and username are cleared too."
)
class UpdateUserInput:
    email: str | None = strawberry.field(default=strawberry.UNSET, description="Email.")
    username: str | None = strawberry.field(default=strawberry.UNSET, description="Username.")
    first_name: str | None = strawberry.field(default=strawberry.UNSET, description="Given name.")
    last_name: str | None = strawberry.field(default=strawberry.UNSET, description="Family name.")
    display_name: str | None = strawberry.field(default=strawberry.UNSET, description="Name shown.")
    avatar_url: str | None = strawberry.field(default=strawberry.UNSET, description="Picture.")
    organization: str | None = strawberry.field(
        default=strawberry.UNSET, description="Organisation."
    )
    subscription_plan: str | None = strawberry.field(default=strawberry.UNSET, description="Plan.")
    role: str | None = strawberry.field(
        default=strawberry.UNSET, description="Primary role (one the caller may grant)."
    )
    status: UserStatus | None = strawberry.field(
        default=strawberry.UNSET,
        description="State; to or from LOCKED needs users:lock. isActive follows it.",
    )
    is_active: bool | None = strawberry.field(
        default=strawberry.UNSET, description="Whether it may log in; status follows it."
    )
    email_verified: bool | None = strawberry.field(
        default=strawberry.UNSET, description="Whether the address is verified."
    )
    current_password: str | None = strawberry.field(
        default=None,
        description="Your current password: needed when you change your own email or "
        "username (INVALID_CREDENTIALS without it or when wrong).",
    )

    def changes(self) -> users_admin.UserChanges:
        status = _given_value(self.status)
        return users_admin.UserChanges(
            email=_given_value(self.email),
            username=_given(self.username),
            first_name=_given(self.first_name),
            last_name=_given(self.last_name),
            display_name=_given(self.display_name),
            avatar_url=_given(self.avatar_url),
            organization=_given(self.organization),
            subscription_plan=_given(self.subscription_plan),
            role=_given_value(self.role),
            status=status,
            is_active=_given_value(self.is_active),
            email_verified=_given_value(self.email_verified),
        )


@strawberry.input(description="Lock an account and end its sessions.")
class LockUserInput:
    reason: str | None = strawberry.field(default=None, description="Why; kept in the audit.")
    duration_minutes: int | None = strawberry.field(
        default=None, description="Lock for this long; without it, until unlockUser."
    )


@strawberry.input(description="One action on many users.")
class BulkUserActionInput:
    user_ids: list[strawberry.ID] = strawberry.field(description="The users (1 to 500).")
    action: BulkAction = strawberry.field(description="What to do to each.")
    reason: str | None = strawberry.field(default=None, description="Why; kept in the audit.")
    role: str | None = strawberry.field(default=None, description="For ASSIGN_ROLE: the role.")
    duration_minutes: int | None = strawberry.field(
        default=None, description="For LOCK: how long; without it, until unlocked."
    )
    dry_run: bool = strawberry.field(
        default=False, description="Check and report each outcome, change nothing."
    )


@strawberry.type(description="The outcome of a bulk action for one user.")
class BulkUserOutcome:
    user_id: strawberry.ID = strawberry.field(description="The user.")
    ok: bool = strawberry.field(description="Whether the action applied (or would, dry run).")
    code: str | None = strawberry.field(description="Why not: an error code such as NOT_FOUND.")
    message: str | None = strawberry.field(description="Why not, in words.")


@strawberry.type(description="What a bulk action did, or would do in a dry run.")
class BulkUserActionPayload:
    action: BulkAction = strawberry.field(description="The action.")
    dry_run: bool = strawberry.field(description="True when nothing was changed.")
    affected_count: int = strawberry.field(description="Users the action applied to.")
    failed_count: int = strawberry.field(description="Users it did not apply to.")
    results: list[BulkUserOutcome] = strawberry.field(description="Each user's outcome.")

    @classmethod
    def from_result(cls, result: users_admin.BulkResult) -> BulkUserActionPayload:
        return cls(
            action=result.action,
            dry_run=result.dry_run,
            affected_count=result.affected,
            failed_count=len(result.failed),
            results=[
                BulkUserOutcome(
                    user_id=strawberry.ID(str(one.user_id)),
                    ok=one.ok,
                    code=one.code,
                    message=one.message,
                )
                for one in result.outcomes
            ],
        )


@strawberry.type(description="A deleted account.")
class UserDeleted:
    id: strawberry.ID = strawberry.field(description="Id the account had.")


@strawberry.type(description="A user's direct permission grants after a change.")
class UserPermissionsPayload:
    user: User = strawberry.field(description="The user.")
    permissions: list[str] = strawberry.field(description="Direct grants, by name.")
    effective_permissions: list[str] = strawberry.field(
        description="Everything the user holds now: roles and direct grants."
    )
