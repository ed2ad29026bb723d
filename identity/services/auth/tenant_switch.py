"""The tenant a session acts in: switched for a member, checked on each refresh."""

from __future__ import annotations

import uuid

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from identity.audit_events import EventType
from identity.errors import NotFound, TokenInvalid
from identity.models import AuthSession, Tenant, TenantMember
from identity.principal import Principal
from identity.services import audit
from identity.services.accounts import get_user
from identity.services.deps import Deps
from identity.services.tokens import TokenPair, pair, replace_refresh_tokens


async def member_tenant(
    session: AsyncSession, *, user_id: uuid.UUID, tenant_id: uuid.UUID
) -> Tenant | None:
    """The tenant, when it is active and ``user_id`` is a member of it."""
    return await session.scalar(
        select(Tenant)
        .join(TenantMember, col(TenantMember.tenant_id) == col(Tenant.id))
        .where(
            col(Tenant.id) == tenant_id,
            col(Tenant.is_active).is_(True),
            col(TenantMember.user_id) == user_id,
        )
    )


async def switch_tenant(
    deps: Deps, *, principal: Principal, tenant_id: uuid.UUID | None
) -> TokenPair:
    """Make the caller's session act in ``tenant_id`` (None: in no tenant) and issue its new
    tokens: the session's earlier refresh tokens are retired, and its earlier access tokens
    are refused (their ``tid`` is not the session's any more). A tenant the caller is not an
    active member of is not found, whether it exists or not."""
    now = deps.clock.now()
    async with deps.database.unit_of_work() as session:
        if tenant_id is not None:
            found = await member_tenant(session, user_id=principal.user_id, tenant_id=tenant_id)
            if found is None:
                raise NotFound("Organization not found", field="tenantId")
        auth_session = await session.get(
            AuthSession, principal.session_id, with_for_update=True, populate_existing=True
        )
        if auth_session is None or auth_session.revoked_at is not None:
            raise TokenInvalid("Session has been revoked")
        before = auth_session.tenant_id
        auth_session.tenant_id = tenant_id
        refresh = await replace_refresh_tokens(session, deps, auth_session_id=auth_session.id)
        user = await get_user(session, principal.user_id)
        audit.record(
            session,
            event_type=EventType.SESSION_TENANT_SWITCHED,
            now=now,
            meta=principal.meta,
            actor_id=principal.user_id,
            subject_id=principal.user_id,
            session_id=auth_session.id,
            details={
                "from": str(before) if before else None,
                "to": str(tenant_id) if tenant_id else None,
            },
            tenant_id=tenant_id,
        )
    return await pair(deps, user=user, auth_session=auth_session, refresh_token=refresh)


async def check_session_tenant(session: AsyncSession, auth_session: AuthSession) -> None:
    """On refresh: a session whose tenant was deactivated is refused; one whose user left the
    tenant goes on in no tenant."""
    if auth_session.tenant_id is None:
        return
    tenant = await session.get(Tenant, auth_session.tenant_id)
    if tenant is None:
        auth_session.tenant_id = None
        return
    if not tenant.is_active:
        raise TokenInvalid("Organization is deactivated")
    if await session.get(TenantMember, (tenant.id, auth_session.user_id)) is None:
        auth_session.tenant_id = None
