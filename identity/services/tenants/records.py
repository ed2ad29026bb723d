"""Tenants themselves: create (with their ``admin`` role), read, list, change, deactivate,
delete.

Access: ``tenants:read`` to read, ``tenants:write`` to change, asked of ``tenancy.reach``.
Creating, deleting, and listing every tenant need the permission everywhere (a global
grant: the super-admin). Held only in one tenant (a tenant role granting it), it reads that
tenant alone (lists show only it) and changes its name and description only: its slug,
member limit, active flag and settings are the installation's to decide. Another tenant's id
is not found (404).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

from sqlalchemy import delete, func, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from identity.audit_events import EventType
from identity.errors import NotFound, PermissionDenied, TenantSlugTaken
from identity.models import (
    Invitation,
    InvitationStatus,
    Location,
    Role,
    Tenant,
    TenantMember,
    User,
    UserLocation,
    UserRole,
    set_primary_role,
)
from identity.permissions import USER, Permission
from identity.principal import Principal
from identity.services import audit, tenancy, text_rules
from identity.services._kit import UNSET, Page, PageRequest, Unset, given
from identity.services.deps import Deps
from identity.services.held import global_role
from identity.services.tenants.admin_role import create_admin_role, grant_admin
from identity.services.tenants.common import (
    MAX_PAGE,
    NOT_FOUND,
    TenantDetails,
    check_max_users,
    clean_description,
    clean_name,
    clean_slug,
    details_of,
    end_tenant_sessions,
    reached,
    reached_record,
    tenant_in_reach,
)
from identity.services.tenants.membership import join

STRUCTURAL = frozenset({"slug", "max_users", "is_active", "allow_self_registration"})
"""Fields only a caller whose ``tenants:write`` reaches everywhere may change."""


@dataclass(frozen=True, slots=True)
class NewTenant:
    name: str
    slug: str
    description: str | None = None
    max_users: int | None = None
    is_active: bool = True
    allow_self_registration: bool = False
    owner_id: uuid.UUID | None = None
    """A user who becomes a member holding the tenant's admin role."""


@dataclass(frozen=True, slots=True)
class TenantChanges:
    """A partial update: ``UNSET`` fields stay as they are."""

    name: str | Unset = UNSET
    slug: str | Unset = UNSET
    description: str | Unset | None = UNSET
    max_users: int | Unset | None = UNSET
    is_active: bool | Unset = UNSET
    allow_self_registration: bool | Unset = UNSET


@dataclass(frozen=True, slots=True)
class TenantQuery:
    search: str | None = None
    is_active: bool | None = None
    offset: int = 0
    limit: int = 20


def _everywhere(reach: tenancy.Reach, what: str) -> None:
    if not reach.everywhere:
        raise PermissionDenied(f"{what} needs tenants:write in every tenant")


async def _slug_free(session: AsyncSession, slug: str, *, exclude: uuid.UUID | None) -> None:
    statement = select(col(Tenant.id)).where(col(Tenant.slug) == slug)
    if exclude is not None:
        statement = statement.where(col(Tenant.id) != exclude)
    if await session.scalar(statement) is not None:
        raise TenantSlugTaken(field="slug", details={"slug": slug})


def _snapshot(tenant: Tenant) -> dict[str, Any]:
    return {
        "name": tenant.name,
        "slug": tenant.slug,
        "description": tenant.description,
        "max_users": tenant.max_users,
        "is_active": tenant.is_active,
        "allow_self_registration": tenant.allow_self_registration,
    }


async def create_tenant(
    deps: Deps, *, principal: Principal | None, new: NewTenant
) -> TenantDetails:
    """A tenant and its ``admin`` role; with ``owner_id``, that user joins holding it."""
    principal, reach = await reached(deps, principal, Permission.TENANTS_WRITE)
    _everywhere(reach, "Creating an organization")
    name = clean_name(new.name)
    slug = clean_slug(new.slug)
    description = clean_description(new.description)
    max_users = check_max_users(new.max_users)
    now = deps.clock.now()
    try:
        async with deps.database.unit_of_work() as session:
            await _slug_free(session, slug, exclude=None)
            owner = None
            if new.owner_id is not None:
                owner = await session.get(User, new.owner_id)
                if owner is None:
                    raise NotFound("User not found", field="owner_id")
            tenant = Tenant(
                name=name,
                slug=slug,
                description=description,
                max_users=max_users,
                is_active=new.is_active,
                allow_self_registration=new.allow_self_registration,
                created_at=now,
                updated_at=now,
            )
            session.add(tenant)
            await session.flush()
            role = await create_admin_role(session, tenant_id=tenant.id, now=now)
            if owner is not None:
                await join(session, tenant=tenant, user=owner, now=now)
                await grant_admin(session, tenant_id=tenant.id, user=owner, now=now)
            audit.record(
                session,
                event_type=EventType.TENANT_CREATED,
                now=now,
                meta=principal.meta,
                actor_id=principal.user_id,
                subject_id=owner.id if owner else None,
                resource="tenants",
                resource_id=str(tenant.id),
                tenant_id=tenant.id,
                details={**_snapshot(tenant), "admin_role_id": str(role.id)},
            )
            return TenantDetails(tenant, 1 if owner else 0)
    except IntegrityError as exc:
        raise TenantSlugTaken(field="slug", details={"slug": slug}) from exc


async def get_tenant(
    deps: Deps, *, principal: Principal | None, tenant_id: uuid.UUID
) -> TenantDetails:
    _, reach = await reached_record(deps, principal, Permission.TENANTS_READ, tenant_id)
    async with deps.database.read() as session:
        tenant = await tenant_in_reach(session, reach, tenant_id)
        return (await details_of(session, [tenant]))[0]


async def list_tenants(
    deps: Deps, *, principal: Principal | None, query: TenantQuery
) -> Page[TenantDetails]:
    """Tenants by name (then id), with the total that match; only the caller's own tenant
    when ``tenants:read`` reaches it alone."""
    reach = await tenancy.reach(deps, principal, Permission.TENANTS_READ)
    conditions: list[Any] = []
    if reach.tenant_id is not None:
        conditions.append(col(Tenant.id) == reach.tenant_id)
    term = text_rules.search_term(query.search)
    if term:
        conditions.append(
            or_(
                func.lower(col(Tenant.name)).contains(term, autoescape=True),
                col(Tenant.slug).contains(term, autoescape=True),
            )
        )
    if query.is_active is not None:
        conditions.append(col(Tenant.is_active) == query.is_active)
    page = PageRequest.clamped(query.offset, query.limit, max_limit=MAX_PAGE)
    async with deps.database.read() as session:
        total = await session.scalar(select(func.count()).select_from(Tenant).where(*conditions))
        rows = await session.scalars(
            page.apply(select(Tenant).where(*conditions).order_by(col(Tenant.name), col(Tenant.id)))
        )
        items = await details_of(session, list(rows.all()))
    return Page(items=items, total=int(total or 0), offset=page.offset, limit=page.limit)


async def update_tenant(
    deps: Deps, *, principal: Principal | None, tenant_id: uuid.UUID, changes: TenantChanges
) -> TenantDetails:
    """Change a tenant. Lowering ``max_users`` below the member count is allowed: nobody is
    removed, and nobody joins until the tenant is under the limit again. Deactivating ends
    the sessions acting in the tenant at once; reactivating does not bring them back."""
    principal, reach = await reached_record(deps, principal, Permission.TENANTS_WRITE, tenant_id)
    wanted = given(changes)
    if STRUCTURAL & wanted.keys():
        _everywhere(reach, "Changing " + ", ".join(sorted(STRUCTURAL & wanted.keys())))
    if "name" in wanted:
        wanted["name"] = clean_name(wanted["name"])
    if "slug" in wanted:
        wanted["slug"] = clean_slug(wanted["slug"])
    if "description" in wanted:
        wanted["description"] = clean_description(wanted["description"])
    if "max_users" in wanted:
        wanted["max_users"] = check_max_users(wanted["max_users"])
    now = deps.clock.now()
    try:
        async with deps.database.unit_of_work() as session:
            tenant = await tenant_in_reach(session, reach, tenant_id, lock=True)
            if "slug" in wanted and wanted["slug"] != tenant.slug:
                await _slug_free(session, wanted["slug"], exclude=tenant.id)
            old = _snapshot(tenant)
            for name, value in wanted.items():
                setattr(tenant, name, value)
            new = _snapshot(tenant)
            if new != old:
                tenant.updated_at = now
            ended = 0
            if old["is_active"] and not tenant.is_active:
                ended = await end_tenant_sessions(
                    session, tenant_id=tenant.id, now=now, reason="tenant_deactivated"
                )
            _audit_update(session, principal, tenant, old=old, new=new, ended=ended, now=now)
            await session.flush()
            return (await details_of(session, [tenant]))[0]
    except IntegrityError as exc:
        raise TenantSlugTaken(field="slug") from exc


def _audit_update(
    session: AsyncSession,
    principal: Principal,
    tenant: Tenant,
    *,
    old: dict[str, Any],
    new: dict[str, Any],
    ended: int,
    now: Any,
) -> None:
    changed = {key for key in new if new[key] != old[key]}
    if not changed:
        return
    common: dict[str, Any] = {
        "now": now,
        "meta": principal.meta,
        "actor_id": principal.user_id,
        "resource": "tenants",
        "resource_id": str(tenant.id),
        "tenant_id": tenant.id,
    }
    audit.record(
        session,
        event_type=EventType.TENANT_UPDATED,
        details={
            "old": {key: old[key] for key in sorted(changed)},
            "new": {key: new[key] for key in sorted(changed)},
        },
        **common,
    )
    if old["is_active"] and not new["is_active"]:
        audit.record(
            session,
            event_type=EventType.TENANT_DEACTIVATED,
            details={"sessions_ended": ended},
            **common,
        )


async def deactivate_tenant(
    deps: Deps, *, principal: Principal | None, tenant_id: uuid.UUID
) -> TenantDetails:
    """``update_tenant`` with ``is_active`` false: its sessions end at once."""
    return await update_tenant(
        deps, principal=principal, tenant_id=tenant_id, changes=TenantChanges(is_active=False)
    )


async def delete_tenant(deps: Deps, *, principal: Principal | None, tenant_id: uuid.UUID) -> None:
    """Delete a tenant in one transaction: its memberships, its roles (and who holds them),
    its locations (and their assignments), its invitations; the sessions acting in it end.
    Accounts stay: a member whose primary tenant it was gets their earliest other tenant (or
    none), one whose primary role was a role of the tenant gets the ``user`` role."""
    principal, reach = await reached_record(deps, principal, Permission.TENANTS_WRITE, tenant_id)
    if not reach.covers(tenant_id):
        raise NotFound(NOT_FOUND, field="tenant_id")
    _everywhere(reach, "Deleting an organization")
    now = deps.clock.now()
    async with deps.database.unit_of_work() as session:
        tenant = await tenant_in_reach(session, reach, tenant_id, lock=True)
        ended = await end_tenant_sessions(
            session, tenant_id=tenant.id, now=now, reason="tenant_deleted"
        )
        removed = await _remove_contents(session, tenant.id)
        snapshot = _snapshot(tenant)
        await session.delete(tenant)
        audit.record(
            session,
            event_type=EventType.TENANT_DELETED,
            now=now,
            meta=principal.meta,
            actor_id=principal.user_id,
            resource="tenants",
            resource_id=str(tenant_id),
            tenant_id=tenant_id,
            details={**snapshot, **removed, "sessions_ended": ended},
        )


async def _remove_contents(session: AsyncSession, tenant_id: uuid.UUID) -> dict[str, int]:
    """What belongs to the tenant, deleted explicitly (the foreign keys' cascades would too;
    explicit deletes do not depend on them and give the counts the audit row records)."""
    roles = select(col(Role.id)).where(col(Role.tenant_id) == tenant_id)
    locations = select(col(Location.id)).where(col(Location.tenant_id) == tenant_id)
    others = (
        select(col(TenantMember.tenant_id))
        .where(col(TenantMember.user_id) == col(User.id), col(TenantMember.tenant_id) != tenant_id)
        .order_by(col(TenantMember.joined_at), col(TenantMember.tenant_id))
        .limit(1)
        .scalar_subquery()
    )
    await session.execute(
        update(User)
        .where(col(User.primary_tenant_id) == tenant_id)
        .values(primary_tenant_id=others)
        .execution_options(synchronize_session=False)
    )
    primary_holders = (
        await session.scalars(select(User).where(col(User.role_id).in_(roles)))
    ).all()
    if primary_holders:
        fallback = await global_role(session, USER)
        if fallback is None:
            raise LookupError(f"the global {USER!r} role is missing")
        for user in primary_holders:
            set_primary_role(user, fallback)
        await session.flush()
    pending = await session.scalar(
        select(func.count())
        .select_from(Invitation)
        .where(
            col(Invitation.tenant_id) == tenant_id,
            col(Invitation.status) == InvitationStatus.PENDING,
        )
    )
    counts = {
        "invitations_pending": int(pending or 0),
        "role_holders": await _deleted(
            session, delete(UserRole).where(col(UserRole.role_id).in_(roles))
        ),
        "location_assignments": await _deleted(
            session, delete(UserLocation).where(col(UserLocation.location_id).in_(locations))
        ),
        "members": await _deleted(
            session, delete(TenantMember).where(col(TenantMember.tenant_id) == tenant_id)
        ),
        "invitations": await _deleted(
            session, delete(Invitation).where(col(Invitation.tenant_id) == tenant_id)
        ),
        "locations": await _deleted(
            session, delete(Location).where(col(Location.tenant_id) == tenant_id)
        ),
        "roles": await _deleted(session, delete(Role).where(col(Role.tenant_id) == tenant_id)),
    }
    return counts


async def _deleted(session: AsyncSession, statement: Any) -> int:
    result = await session.execute(statement.execution_options(synchronize_session=False))
    return int(result.rowcount or 0)  # type: ignore[attr-defined]
