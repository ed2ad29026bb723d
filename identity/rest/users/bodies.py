"""Request bodies and list parameters of the users administration routes."""

from __future__ import annotations

import uuid
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from identity.models import UserStatus
from identity.rest.params import FilterText, Offset, Page, UsersPageSize
from identity.services import users_admin
from identity.services.users_admin import (
    UNSET,
    BulkAction,
    NewUser,
    SortField,
    SortOrder,
    UserChanges,
    UserQuery,
)


class Body(BaseModel):
    model_config = ConfigDict(extra="ignore")


class CreateUserBody(Body):
    email: str = Field(max_length=320)
    password: str = Field(max_length=1024)
    username: str | None = Field(None, max_length=150)
    first_name: str | None = Field(None, max_length=150)
    last_name: str | None = Field(None, max_length=150)
    display_name: str | None = Field(None, max_length=300)
    role: str = Field("user", max_length=100)
    status: UserStatus | None = None
    is_active: bool | None = None
    email_verified: bool | None = None
    is_verified: bool | None = None  # seed 004's name
    must_change_password: bool = False
    permissions: list[str] = Field(default_factory=list, max_length=200)
    organization_id: uuid.UUID | None = None
    """Seed 004: the tenant the account joins (a tenant's administrator's: theirs)."""

    def new_user(self, *, default_role: str = "user") -> NewUser:
        verified = self.email_verified if self.email_verified is not None else self.is_verified
        return NewUser(
            email=self.email,
            password=self.password,
            username=self.username,
            first_name=self.first_name,
            last_name=self.last_name,
            display_name=self.display_name,
            role=self.role if "role" in self.model_fields_set else default_role,
            status=self.status,
            is_active=self.is_active,
            email_verified=bool(verified),
            must_change_password=self.must_change_password,
            permissions=self.permissions,
            tenant_id=self.organization_id,
        )


class UpdateUserBody(Body):
    """PUT and PATCH: PATCH changes the fields sent; PUT also clears the profile fields not
    sent (email, role, status and is_active stay unless sent)."""

    email: str | None = Field(None, max_length=320)
    username: str | None = Field(None, max_length=150)
    first_name: str | None = Field(None, max_length=150)
    last_name: str | None = Field(None, max_length=150)
    display_name: str | None = Field(None, max_length=300)
    avatar_url: str | None = Field(None, max_length=users_admin.PROFILE_FIELDS["avatar_url"])
    organization: str | None = Field(None, max_length=200)
    subscription_plan: str | None = Field(None, max_length=100)
    role: str | None = Field(None, max_length=100)
    status: UserStatus | None = None
    is_active: bool | None = None
    email_verified: bool | None = None
    is_verified: bool | None = None  # seed 004's name
    current_password: str | None = Field(
        None,
        max_length=1024,
        description="Your current password: needed when you change your own email or username.",
    )

    def changes(self) -> UserChanges:
        sent = self.model_fields_set

        def given(name: str) -> Any:
            return getattr(self, name) if name in sent else UNSET

        def given_value(name: str) -> Any:
            """Fields that cannot be null: null means "leave it"."""
            value = getattr(self, name)
            return value if name in sent and value is not None else UNSET

        verified = given_value("email_verified")
        if verified is UNSET:
            verified = given_value("is_verified")
        status = given_value("status")
        return UserChanges(
            email=given_value("email"),
            username=given("username"),
            first_name=given("first_name"),
            last_name=given("last_name"),
            display_name=given("display_name"),
            avatar_url=given("avatar_url"),
            organization=given("organization"),
            subscription_plan=given("subscription_plan"),
            role=given_value("role"),
            status=status if status is UNSET else str(status.value),
            is_active=given_value("is_active"),
            email_verified=verified,
        )


class LockBody(Body):
    reason: str | None = Field(None, max_length=500)
    duration_minutes: int | None = Field(None, ge=1, le=users_admin.MAX_LOCK_MINUTES)


class BulkBody(Body):
    user_ids: list[uuid.UUID] = Field(min_length=1, max_length=users_admin.MAX_BULK_USERS)
    action: BulkAction
    reason: str | None = Field(None, max_length=500)
    role: str | None = Field(None, max_length=100)
    duration_minutes: int | None = Field(None, ge=1, le=users_admin.MAX_LOCK_MINUTES)
    dry_run: bool = False


class PermissionsBody(Body):
    permissions: list[str] = Field(max_length=200)


class ListParams(BaseModel):
    """Seed 000's page/size and seed 004's skip/limit (which win when sent), and filters;
    bounded by the pagination rule (``identity.rest.params``)."""

    page: Page = 1
    size: UsersPageSize = 20
    skip: Offset | None = None
    limit: UsersPageSize | None = None
    search: FilterText | None = None
    role: FilterText | None = None
    status: UserStatus | None = None
    is_active: bool | None = None
    sort: SortField = SortField.CREATED_AT
    order: SortOrder = SortOrder.ASC

    def query(self, *, admins_only: bool = False) -> UserQuery:
        size = self.limit or self.size
        offset = self.skip if self.skip is not None else (self.page - 1) * self.size
        return UserQuery(
            search=self.search,
            role=self.role,
            status=self.status.value if self.status else None,
            is_active=self.is_active,
            admins_only=admins_only,
            sort=self.sort,
            order=self.order,
            offset=offset,
            limit=size,
        )


class OffsetParams(BaseModel):
    limit: UsersPageSize = 50
    offset: Offset = 0
    search: FilterText | None = None
    role: FilterText | None = None
    status: UserStatus | None = None
    is_active: bool | None = None
    sort: SortField = SortField.CREATED_AT
    order: SortOrder = SortOrder.ASC
