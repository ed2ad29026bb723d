"""Refresh-token rotation: a chain per session, reuse ends the session.

Prebuilt Core statements (``rotation_sql``). On PostgreSQL the common case is one statement
on the driver (it checks everything a refresh checks, and writes all or nothing), the
permissions for the new token's claim coming from the principal cache; every other case,
and every case on SQLite, is one transaction of a few statements. The signature comes after
the commit.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm.attributes import set_committed_value
from sqlmodel import col

from identity.audit_events import EventType
from identity.db_driver import DriverConnections, DriverStatement, detached
from identity.errors import IdentityError, TokenExpired, TokenInvalid, TokenReused
from identity.invalidation.cache import PrincipalCache
from identity.models import AuthSession, RefreshToken, User
from identity.principal import Holding, RequestMeta
from identity.ratelimit import Budget
from identity.security.secrets import hash_token
from identity.services import audit, authorization, request_budgets, runtime_settings
from identity.services.auth import rotation_sql as sql
from identity.services.auth.audit_rows import INSERT_AUDIT, audit_values
from identity.services.auth.status import PasswordChangeRequired, ensure_active
from identity.services.deps import Deps
from identity.services.sessions import revoke_sessions
from identity.services.tokens import TokenPair, pair, successor_of

_ROTATE = DriverStatement(sql.ROTATE)
_USER_FIELDS = (*(column.name for column in sql.USERS.c), "role")
_SESSION_FIELDS = tuple(column.name for column in sql.SESSIONS.c)


@dataclass(frozen=True, slots=True)
class _Rotation:
    user: User
    auth_session: AuthSession
    refresh_token: str
    permissions: frozenset[str]


@dataclass(frozen=True, slots=True)
class _Presented:
    """The refresh: the token presented, its successor, the instant and the request."""

    raw: str
    token_hash: str
    successor: str
    now: datetime
    idle_cutoff: datetime
    meta: RequestMeta
    principals: PrincipalCache
    """What callers hold, kept in memory: the new token's permissions when it is current."""

    def parameters(self) -> dict[str, Any]:
        return {"presented_hash": self.token_hash, "now": self.now, "idle_cutoff": self.idle_cutoff}

    def cached_permissions(
        self, user_id: uuid.UUID, tenant_id: uuid.UUID | None
    ) -> frozenset[str] | None:
        """The permissions the principal cache holds, when it is current (a write of this
        process not yet echoed by the invalidation channel makes it not current)."""
        cache = self.principals
        if cache.held_by_own_writes:
            return None
        held = cache.holding(user_id, tenant_id)
        return None if held is None else held.permissions


async def refresh(deps: Deps, *, refresh_token: str, meta: RequestMeta) -> TokenPair:
    """Rotate a refresh token.

    Presented again within the reuse interval, a used token answers the same successor (two
    tabs refreshing at once both carry on); presented later, it is reuse and ends the session.
    Every refusal is audited.
    """
    await request_budgets.charge(deps, Budget.REFRESH, meta)
    if not refresh_token:
        raise TokenInvalid("Refresh token is required")
    interval = timedelta(
        seconds=(await runtime_settings.current(deps)).refresh_reuse_interval_seconds
    )
    now = deps.clock.now()
    presented = _Presented(
        raw=refresh_token,
        token_hash=hash_token(refresh_token),
        successor=successor_of(deps, refresh_token),
        now=now,
        idle_cutoff=now - timedelta(days=deps.settings.session_idle_days),
        meta=meta,
        principals=deps.principals,
    )
    try:
        rotation = None
        if deps.database.driver is not None:
            rotation = await _rotate_on_driver(deps, deps.database.driver, presented)
        if rotation is None:
            async with deps.database.unit_of_work() as session:
                rotation = await _rotate_plainly(session, presented, reuse_interval=interval)
    except IdentityError as refusal:
        await _refresh_refused(deps, raw=refresh_token, meta=meta, refusal=refusal)
        raise
    if rotation is None:
        raise TokenReused()
    return await pair(
        deps,
        user=rotation.user,
        auth_session=rotation.auth_session,
        refresh_token=rotation.refresh_token,
        permissions=rotation.permissions,
    )


async def _refresh_refused(
    deps: Deps, *, raw: str, meta: RequestMeta, refusal: IdentityError
) -> None:
    now = deps.clock.now()
    async with deps.database.unit_of_work() as session:
        found = (
            await session.execute(
                select(col(RefreshToken.session_id), col(AuthSession.user_id))
                .join(AuthSession, col(AuthSession.id) == col(RefreshToken.session_id))
                .where(col(RefreshToken.token_hash) == hash_token(raw))
            )
        ).one_or_none()
        audit.record(
            session,
            event_type=EventType.TOKEN_REFRESH_FAILED,
            now=now,
            meta=meta,
            subject_id=found.user_id if found else None,
            session_id=found.session_id if found else None,
            details={"reason": refusal.code, "known_token": found is not None},
        )


async def _rotate_on_driver(
    deps: Deps, driver: DriverConnections, presented: _Presented
) -> _Rotation | None:
    """The common case on PostgreSQL, in one statement run in autocommit on the driver
    (``rotation_sql.ROTATE``); None when it rotated nothing (then the plain way
    decides, in a transaction of its own, with everything still as it was)."""
    async with driver.connection() as connection:
        row = await _ROTATE.fetchrow(
            connection,
            {
                **presented.parameters(),
                "successor_id": uuid.uuid4(),
                "successor_hash": hash_token(presented.successor),
                "audit_id": uuid.uuid4(),
                "audit_ip_address": presented.meta.ip_address,
                "audit_user_agent": presented.meta.user_agent,
                "audit_request_id": presented.meta.request_id,
                "audit_details": "{}",
            },
        )
    if row is None or row["rotated"] is None:
        return None
    user = detached(User, {name: row[f"u_{name}"] for name in _USER_FIELDS})
    auth_session = detached(AuthSession, {name: row[f"s_{name}"] for name in _SESSION_FIELDS})
    permissions = presented.cached_permissions(user.id, auth_session.tenant_id)
    if permissions is None:
        async with deps.database.read() as session:
            permissions = await _permissions(session, presented, user.id, auth_session.tenant_id)
    return _Rotation(user, auth_session, presented.successor, permissions)


async def _rotate_plainly(
    session: AsyncSession, presented: _Presented, *, reuse_interval: timedelta
) -> _Rotation | None:
    now = presented.now
    locked_id = (await session.execute(sql.TOUCH, presented.parameters())).scalar_one_or_none()
    token = (
        await session.execute(sql.TOKEN, {"presented_hash": presented.token_hash})
    ).one_or_none()
    if token is None:
        raise TokenInvalid("Invalid refresh token")
    if locked_id is None:
        revoked_at = await session.execute(sql.SESSION_REVOKED_AT, {"id": token.session_id})
        found = revoked_at.one_or_none()
        if found is not None and found.revoked_at is None:
            raise TokenExpired("Session has expired; log in again")
        raise TokenInvalid("Session has been revoked")
    state = (await session.execute(sql.STATE, {"id": token.session_id})).one_or_none()
    if state is None:
        raise TokenInvalid("Session not found")
    user, auth_session, tenant_active, member = state
    if token.revoked_at is not None:
        # Retired by a re-authentication, not used: refused without ending the session.
        raise TokenInvalid("Refresh token has been revoked")
    reissued = token.used_at is not None
    if token.used_at is not None:
        if now - token.used_at > reuse_interval:
            await _reuse_detected(session, presented, auth_session, token.id)
            return None
        child = (
            await session.execute(
                sql.CHILD_REVOKED_AT, {"presented_hash": hash_token(presented.successor)}
            )
        ).one_or_none()
        if child is None:  # used before successors were derived: nothing to answer again
            await _reuse_detected(session, presented, auth_session, token.id)
            return None
        if child.revoked_at is not None:
            raise TokenInvalid("Refresh token has been revoked")
    rotation = await _checked(
        session, presented, user, auth_session, tenant_active, member, reissued=reissued
    )
    if not reissued:
        await session.execute(sql.MARK_USED, {"token_id": token.id, "now": now})
        await session.execute(
            sql.INSERT_TOKEN,
            {
                "id": uuid.uuid4(),
                "session_id": token.session_id,
                "parent_id": token.id,
                "token_hash": hash_token(presented.successor),
                "created_at": now,
            },
        )
    await session.execute(
        INSERT_AUDIT,
        audit_values(
            event_type=EventType.TOKEN_REFRESHED,
            now=now,
            meta=presented.meta,
            actor_id=user.id,
            subject_id=user.id,
            session_id=auth_session.id,
            details={"reissued": True} if reissued else None,
        ),
    )
    return rotation


async def _checked(
    session: AsyncSession,
    presented: _Presented,
    user: User,
    auth_session: AuthSession,
    tenant_active: bool | None,
    member: bool,
    *,
    reissued: bool = False,
) -> _Rotation:
    """Refuse a refresh the account or the session's tenant no longer allows; a session whose
    user left its tenant goes on in no tenant. Reads the permissions of the new token."""
    # Not the failed-login lock: anyone who knows an address can set it off, and that must
    # not end its owner's sessions (access tokens are not refused during a lock either).
    ensure_active(user, presented.now)
    if user.must_change_password:
        raise PasswordChangeRequired()
    if auth_session.tenant_id is not None:
        if tenant_active is False:
            raise TokenInvalid("Organization is deactivated")
        if tenant_active is None or not member:
            await session.execute(sql.LEAVE_TENANT, {"session_id": auth_session.id})
            set_committed_value(auth_session, "tenant_id", None)
    return _Rotation(
        user,
        auth_session,
        presented.successor,
        await _permissions(session, presented, user.id, auth_session.tenant_id),
    )


async def _permissions(
    session: AsyncSession, presented: _Presented, user_id: uuid.UUID, tenant_id: uuid.UUID | None
) -> frozenset[str]:
    """The new token's permissions: from the principal cache when it is current (what every
    request is authorised by), else read in the refresh's transaction. A write of this
    process not yet echoed by the invalidation channel makes the cache not current. What is
    read is kept, unless an invalidation arrived meanwhile (the cache's generation)."""
    cached = presented.cached_permissions(user_id, tenant_id)
    if cached is not None:
        return cached
    cache = presented.principals
    generation = cache.generation
    found = (await authorization.grants(session, [user_id], tenant_id=tenant_id))[user_id]
    cache.store_holding(
        generation, user_id, tenant_id, Holding(found.permissions, found.everywhere)
    )
    return found.permissions


async def _reuse_detected(
    session: AsyncSession, presented: _Presented, auth_session: AuthSession, token_id: uuid.UUID
) -> None:
    await revoke_sessions(
        session, ids=[auth_session.id], now=presented.now, reason="refresh_token_reused"
    )
    await session.execute(
        INSERT_AUDIT,
        audit_values(
            event_type=EventType.TOKEN_REUSE_DETECTED,
            now=presented.now,
            meta=presented.meta,
            subject_id=auth_session.user_id,
            session_id=auth_session.id,
            details={"token_id": str(token_id)},
        ),
    )
