"""What the tenant modules share: the field rules, finding a tenant within reach, ending the
sessions that act in a tenant, member counts."""

from __future__ import annotations

import re
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from identity.errors import AuthenticationRequired, NotFound, PermissionDenied, ValidationFailed
from identity.models import AuthSession, Tenant, TenantMember
from identity.permissions import Permission
from identity.principal import Principal
from identity.services import tenancy, text_rules
from identity.services.deps import Deps
from identity.services.sessions import revoke_sessions
from identity.services.tenancy import Reach

MAX_NAME_LENGTH = 200
MAX_DESCRIPTION_LENGTH = 1000
MAX_USERS_LIMIT = 1_000_000
MAX_PAGE = 100
SLUG = re.compile(r"[a-z0-9-]{3,63}")
"""A slug: lower-case letters, digits and hyphens, 3 to 63 characters (DNS-label sized)."""
NOT_FOUND = "Organization not found"


@dataclass(frozen=True, slots=True)
class TenantDetails:
    """A tenant with its member count, what every surface shows of it."""

    tenant: Tenant
    member_count: int


def clean_name(value: str) -> str:
    name = text_rules.optional_text(value, field="name", max_length=MAX_NAME_LENGTH)
    if name is None:
        raise ValidationFailed("name is required", field="name", details={"reason": "REQUIRED"})
    return name


def clean_description(value: str | None) -> str | None:
    return text_rules.optional_text(value, field="description", max_length=MAX_DESCRIPTION_LENGTH)


def clean_slug(value: str) -> str:
    """Refused rather than lower-cased or trimmed: a slug is typed at login as it is stored."""
    if not SLUG.fullmatch(value):
        raise ValidationFailed(
            "slug must be 3 to 63 lower-case letters, digits or hyphens",
            field="slug",
            details={"reason": "INVALID_SLUG"},
        )
    return value


def check_max_users(value: int | None) -> int | None:
    if value is not None and not 1 <= value <= MAX_USERS_LIMIT:
        raise ValidationFailed(
            f"max_users must be 1 to {MAX_USERS_LIMIT}, or null for no limit",
            field="max_users",
            details={"reason": "OUT_OF_RANGE"},
        )
    return value


async def tenant_in_reach(
    session: AsyncSession, reach: Reach, tenant_id: uuid.UUID, *, lock: bool = False
) -> Tenant:
    """The tenant when the caller's reach covers it; another tenant's is NotFound, as one that
    does not exist."""
    if not reach.covers(tenant_id):
        raise NotFound(NOT_FOUND, field="tenant_id")
    tenant = await session.get(Tenant, tenant_id, with_for_update=lock or None)
    if tenant is None:
        raise NotFound(NOT_FOUND, field="tenant_id")
    return tenant


async def end_tenant_sessions(
    session: AsyncSession,
    *,
    tenant_id: uuid.UUID,
    now: datetime,
    reason: str,
    user_id: uuid.UUID | None = None,
) -> int:
    """Revoke the sessions acting in the tenant (of one user, or everyone's) and their
    refresh tokens, as logout does: their access tokens are refused from the next request."""
    statement = select(col(AuthSession.id)).where(
        col(AuthSession.tenant_id) == tenant_id, col(AuthSession.revoked_at).is_(None)
    )
    if user_id is not None:
        statement = statement.where(col(AuthSession.user_id) == user_id)
    ids = list((await session.scalars(statement)).all())
    if not ids:
        return 0
    return await revoke_sessions(session, ids=ids, now=now, reason=reason)


async def member_counts(
    session: AsyncSession, tenant_ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, int]:
    """How many members each tenant has, in one statement."""
    ids = list(dict.fromkeys(tenant_ids))
    if not ids:
        return {}
    rows = await session.execute(
        select(col(TenantMember.tenant_id), func.count())
        .where(col(TenantMember.tenant_id).in_(ids))
        .group_by(col(TenantMember.tenant_id))
    )
    found = {tenant_id: 0 for tenant_id in ids}
    found.update({tenant_id: int(count) for tenant_id, count in rows.all()})
    return found


async def details_of(session: AsyncSession, tenants: Sequence[Tenant]) -> list[TenantDetails]:
    counts = await member_counts(session, [tenant.id for tenant in tenants])
    return [TenantDetails(tenant, counts.get(tenant.id, 0)) for tenant in tenants]


async def reached(
    deps: Deps, principal: Principal | None, permission: Permission
) -> tuple[Principal, Reach]:
    """The caller and where ``permission`` reaches for them (``tenancy.reach``)."""
    if principal is None:
        raise AuthenticationRequired()
    return principal, await tenancy.reach(deps, principal, permission)


async def reached_record(
    deps: Deps, principal: Principal | None, permission: Permission, tenant_id: uuid.UUID
) -> tuple[Principal, Reach]:
    """``reached`` for one tenant's record: a caller acting in a tenant without
    ``permission`` is told another tenant is not found (404) before being refused their own
    (403), so the answer never tells whether another tenant exists."""
    try:
        return await reached(deps, principal, permission)
    except PermissionDenied:
        if principal is not None and principal.tenant_id not in (None, tenant_id):
            raise NotFound(NOT_FOUND, field="tenant_id") from None
        raise
