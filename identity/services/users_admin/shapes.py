"""What users administration takes and answers (queries, pages, new accounts, changes,
bulk outcomes) and its limits."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Final, NamedTuple

from identity.models import UserStatus
from identity.permissions import USER, Permission
from identity.services._kit import UNSET, Unset
from identity.services.accounts import MAX_LENGTHS

MAX_PAGE_SIZE: Final = 100
MAX_BULK_USERS: Final = 500
MAX_LOCK_MINUTES: Final = 10 * 365 * 24 * 60
MAX_REASON_LENGTH: Final = 500
# Profile columns an administrator sets, with their lengths (the self-service routes' own,
# accounts.MAX_LENGTHS); PUT clears the ones not sent.
PROFILE_FIELDS: Final = {
    name: MAX_LENGTHS[name]
    for name in (
        "first_name",
        "last_name",
        "display_name",
        "avatar_url",
        "organization",
        "subscription_plan",
    )
}
_BLOCKED: Final = (UserStatus.INACTIVE, UserStatus.LOCKED)


class SortField(StrEnum):
    CREATED_AT = "created_at"
    EMAIL = "email"
    LAST_LOGIN = "last_login"


class SortOrder(StrEnum):
    ASC = "asc"
    DESC = "desc"


class BulkAction(StrEnum):
    ACTIVATE = "activate"
    DEACTIVATE = "deactivate"
    LOCK = "lock"
    UNLOCK = "unlock"
    DELETE = "delete"
    ASSIGN_ROLE = "assign_role"


BULK_PERMISSIONS: Final = {
    BulkAction.ACTIVATE: Permission.USERS_WRITE,
    BulkAction.DEACTIVATE: Permission.USERS_WRITE,
    BulkAction.LOCK: Permission.USERS_LOCK,
    BulkAction.UNLOCK: Permission.USERS_LOCK,
    BulkAction.DELETE: Permission.USERS_DELETE,
    BulkAction.ASSIGN_ROLE: Permission.USERS_WRITE,
}


class TotalCount(StrEnum):
    """How a page's total is had: counted now, counted lately (a short-lived cache that
    every write of this process invalidates: ``counts``), or not at all."""

    EXACT = "exact"
    RECENT = "recent"
    SKIP = "skip"


@dataclass(frozen=True, slots=True)
class UserPosition:
    """A place in an ordered listing: the sort key's value (``created_at``, ``email_key`` or
    ``last_login``, None for a never-logged-in account) and the id that breaks ties."""

    value: datetime | str | None
    id: uuid.UUID


@dataclass(frozen=True, slots=True, kw_only=True)
class UserQuery:
    """Which users, in which order, which slice: ``offset``/``limit`` (at most 100), or the
    ``limit`` users right ``after`` a position (keyset: a deep page costs what the first
    does); ``total`` says how the total is had."""

    search: str | None = None
    role: str | None = None
    status: str | None = None
    is_active: bool | None = None
    admins_only: bool = False
    sort: SortField = SortField.CREATED_AT
    order: SortOrder = SortOrder.ASC
    offset: int = 0
    limit: int = 20
    after: UserPosition | None = None
    total: TotalCount = TotalCount.EXACT

    @property
    def filters(self) -> tuple[object, ...]:
        """What decides which accounts match, whatever their order and slice."""
        return (self.search, self.role, self.status, self.is_active, self.admins_only)


class UserRow(NamedTuple):
    """An account as listings read it: columns, not an ORM object (a hundred ``User``
    objects cost more to build than the page costs to read)."""

    id: uuid.UUID
    email: str
    email_key: str
    username: str | None
    first_name: str | None
    last_name: str | None
    display_name: str | None
    organization: str | None
    primary_tenant_id: uuid.UUID | None
    subscription_plan: str | None
    avatar_url: str | None
    role: str
    status: str
    is_active: bool
    email_verified: bool
    email_verified_at: datetime | None
    last_login: datetime | None
    last_login_ip: str | None
    locked_at: datetime | None
    locked_until: datetime | None
    password_changed_at: datetime | None
    must_change_password: bool
    created_at: datetime
    updated_at: datetime

    @property
    def name(self) -> str:
        """``User.name``: the display name, else first and last names."""
        if self.display_name:
            return self.display_name
        return " ".join(part for part in (self.first_name, self.last_name) if part)

    def position(self, sort: SortField) -> UserPosition:
        value: datetime | str | None = (
            self.created_at
            if sort is SortField.CREATED_AT
            else self.email_key
            if sort is SortField.EMAIL
            else self.last_login
        )
        return UserPosition(value, self.id)


@dataclass(frozen=True, slots=True, kw_only=True)
class UserPage:
    """A page of accounts; ``users`` is ``items``. ``total`` is None when not asked."""

    items: list[UserRow]
    total: int | None
    offset: int
    limit: int
    has_next: bool
    has_previous: bool

    @property
    def users(self) -> list[UserRow]:
        return self.items


@dataclass(frozen=True, slots=True, kw_only=True)
class NewUser:
    email: str
    password: str
    username: str | None = None
    first_name: str | None = None
    last_name: str | None = None
    display_name: str | None = None
    role: str = USER
    status: str | None = None
    is_active: bool | None = None
    email_verified: bool = False
    must_change_password: bool = False
    permissions: Sequence[str] = ()
    tenant_id: uuid.UUID | None = None
    """The tenant the account joins (seed 004's ``organization_id``); a tenant's
    administrator's new accounts join their tenant whether it is named or not."""


@dataclass(frozen=True, slots=True, kw_only=True)
class UserChanges:
    """Fields to change. UNSET leaves a field as it is; with ``replace`` (PUT) the profile
    fields and the username that are UNSET are cleared instead."""

    email: str | Unset = UNSET
    username: str | Unset | None = UNSET
    first_name: str | Unset | None = UNSET
    last_name: str | Unset | None = UNSET
    display_name: str | Unset | None = UNSET
    avatar_url: str | Unset | None = UNSET
    organization: str | Unset | None = UNSET
    subscription_plan: str | Unset | None = UNSET
    role: str | Unset = UNSET
    status: str | Unset = UNSET
    is_active: bool | Unset = UNSET
    email_verified: bool | Unset = UNSET


@dataclass(frozen=True, slots=True)
class BulkOutcome:
    user_id: uuid.UUID
    ok: bool
    code: str | None = None
    message: str | None = None


@dataclass(frozen=True, slots=True)
class BulkResult:
    action: BulkAction
    dry_run: bool
    outcomes: list[BulkOutcome]

    @property
    def affected(self) -> int:
        return sum(outcome.ok for outcome in self.outcomes)

    @property
    def failed(self) -> list[BulkOutcome]:
        return [outcome for outcome in self.outcomes if not outcome.ok]
