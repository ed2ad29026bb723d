"""What the locations capability's modules share: field rules, shapes, the caller's reach,
reading a location within reach, and keeping one primary location per user and tenant."""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import ColumnElement, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from identity.errors import AuthenticationRequired, NotFound, ValidationFailed
from identity.models import Location, TenantMember, UserLocation
from identity.permissions import Permission
from identity.principal import Principal
from identity.services import tenancy, text_rules
from identity.services.deps import Deps
from identity.services.tenancy import Reach

MAX_PAGE = 100
MAX_ASSIGN = 100
CODE = re.compile(r"[A-Z0-9](?:[A-Z0-9_.-]{0,48}[A-Z0-9])?")
"""A location code: 1 to 50 letters, digits, ``-``, ``_`` or ``.``, starting and ending with a
letter or digit; compared and stored upper-cased (``main-001`` is ``MAIN-001``)."""

LIMITS: dict[str, int] = {
    "name": 200,
    "description": 1000,
    "address": 500,
    "city": 100,
    "state": 100,
    "country": 100,
    "postal_code": 20,
}
OPTIONAL_FIELDS = ("description", "address", "city", "state", "country", "postal_code")


@dataclass(frozen=True, slots=True)
class Assignment:
    """A location a user is assigned to, whether it is their primary one in its tenant."""

    location: Location
    is_primary: bool
    assigned_at: datetime


@dataclass(frozen=True, slots=True)
class Assignee:
    """A user assigned to a location (the user's id and profile fields as listed)."""

    user_id: uuid.UUID
    email: str
    username: str | None
    first_name: str | None
    last_name: str | None
    display_name: str | None
    is_active: bool
    is_primary: bool
    assigned_at: datetime


@dataclass(frozen=True, slots=True)
class AssigneesPage:
    items: list[Assignee]
    total: int
    offset: int
    limit: int


async def reach(
    deps: Deps, principal: Principal | None, permission: Permission
) -> tuple[Principal, Reach]:
    """The caller and where ``permission`` reaches for them (401/403 when nowhere)."""
    if principal is None:
        raise AuthenticationRequired()
    return principal, await tenancy.reach(deps, principal, permission)


async def reach_now(session: AsyncSession, caller: Principal) -> Reach:
    """Where the caller's locations:write reaches as the write's transaction sees it: every
    write checks again before it changes anything (a permission revoked meanwhile)."""
    found, _ = await tenancy.reach_now(session, caller, Permission.LOCATIONS_WRITE)
    return found


def clean_name(value: str) -> str:
    stripped = value.strip()
    if not stripped:
        raise ValidationFailed("A location needs a name", field="name")
    text_rules.clean_text(stripped, field="name", max_length=LIMITS["name"])
    return " ".join(stripped.split())


def clean_code(value: str) -> str:
    code = value.strip().upper()
    if not CODE.fullmatch(code):
        raise ValidationFailed(
            "code must be 1 to 50 letters, digits, '-', '_' or '.', starting and ending with "
            "a letter or digit",
            field="code",
            details={"reason": "INVALID_CODE"},
        )
    return code


def clean_optional(field: str, value: str | None) -> str | None:
    return text_rules.optional_text(value, field=field, max_length=LIMITS[field])


async def location_within(
    session: AsyncSession, where: Reach, location_id: uuid.UUID, *, lock: bool = False
) -> Location:
    """The location if it exists and is within reach; NotFound alike otherwise."""
    found = await session.get(Location, location_id, with_for_update=lock or None)
    if found is None or not where.covers(found.tenant_id):
        raise NotFound("Location not found", field="location_id")
    return found


async def locked_membership(
    session: AsyncSession, tenant_id: uuid.UUID, user_id: uuid.UUID
) -> TenantMember:
    """The user's membership of the tenant, locked until the transaction ends: every change
    of a user's locations in a tenant takes it first, so two of them run one after the other
    (PostgreSQL ``FOR UPDATE``; SQLite writers hold the write lock). NotFound when the user
    is not a member: to the caller, a user of another tenant does not exist."""
    member = await session.scalar(
        select(TenantMember)
        .where(col(TenantMember.tenant_id) == tenant_id, col(TenantMember.user_id) == user_id)
        .with_for_update()
    )
    if member is None:
        raise NotFound("User not found", field="user_id")
    return member


def _of_tenant(tenant_id: uuid.UUID) -> ColumnElement[bool]:
    return col(UserLocation.location_id).in_(
        select(col(Location.id)).where(col(Location.tenant_id) == tenant_id)
    )


async def ensure_primary(
    session: AsyncSession,
    *,
    tenant_id: uuid.UUID,
    user_id: uuid.UUID,
    primary: uuid.UUID | None = None,
    otherwise: uuid.UUID | None = None,
) -> None:
    """Exactly one of the user's locations in the tenant is primary (none when they have
    none there): ``primary`` when given, else the one that was, else ``otherwise`` (one of
    theirs) when given, else the earliest assigned (ties by location id)."""
    in_tenant = _of_tenant(tenant_id)
    mine = col(UserLocation.user_id) == user_id
    if primary is None:
        primary = await session.scalar(
            select(col(UserLocation.location_id))
            .where(mine, in_tenant, col(UserLocation.is_primary))
            .order_by(col(UserLocation.assigned_at), col(UserLocation.location_id))
            .limit(1)
        )
    if primary is None:
        primary = otherwise or await session.scalar(
            select(col(UserLocation.location_id))
            .where(mine, in_tenant)
            .order_by(col(UserLocation.assigned_at), col(UserLocation.location_id))
            .limit(1)
        )
        if primary is None:
            return
    await session.execute(
        update(UserLocation)
        .where(mine, in_tenant)
        .values(is_primary=col(UserLocation.location_id) == primary)
        .execution_options(synchronize_session=False)
    )
