"""A user's sessions and devices: list them, end one, end the others, see the history."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql.elements import ColumnElement
from sqlmodel import col

from identity.audit_events import EventType
from identity.errors import NotFound
from identity.models import AuditEvent, AuthSession, RefreshToken, TokenPurpose
from identity.models.mfa import TrustedDevice
from identity.principal import Principal
from identity.services import audit, one_time
from identity.services.deps import Deps
from identity.services.mfa import trusted

LOGIN_EVENTS = (
    EventType.LOGIN_SUCCEEDED,
    EventType.LOGIN_FAILED,
    EventType.ACCOUNT_LOCKED,
    EventType.LOGOUT,
)


async def revoke_sessions(
    session: AsyncSession,
    *,
    now: datetime,
    reason: str,
    ids: Sequence[uuid.UUID] | None = None,
    user_id: uuid.UUID | None = None,
    keep: uuid.UUID | None = None,
) -> int:
    """Revoke sessions by id or by user (optionally keeping one), and their refresh tokens."""
    conditions: list[ColumnElement[bool]] = [col(AuthSession.revoked_at).is_(None)]
    if ids is not None:
        conditions.append(col(AuthSession.id).in_(ids))
    if user_id is not None:
        conditions.append(col(AuthSession.user_id) == user_id)
    if keep is not None:
        conditions.append(col(AuthSession.id) != keep)
    revoked = (
        (
            await session.execute(
                update(AuthSession)
                .where(*conditions)
                .values(revoked_at=now, revoke_reason=reason)
                .returning(col(AuthSession.id))
            )
        )
        .scalars()
        .all()
    )
    if revoked:
        await session.execute(
            update(RefreshToken)
            .where(
                col(RefreshToken.session_id).in_(revoked), col(RefreshToken.revoked_at).is_(None)
            )
            .values(revoked_at=now)
        )
    return len(revoked)


async def active_sessions_of(
    session: AsyncSession, user_ids: Sequence[uuid.UUID], *, now: datetime
) -> dict[uuid.UUID, list[AuthSession]]:
    """Each user's sessions still open at ``now``, last used first, in one statement (the
    batch reader of GraphQL's ``User.sessions`` loader)."""
    found: dict[uuid.UUID, list[AuthSession]] = {user_id: [] for user_id in user_ids}
    if not found:
        return found
    rows = await session.scalars(
        select(AuthSession)
        .where(
            col(AuthSession.user_id).in_(list(found)),
            col(AuthSession.revoked_at).is_(None),
            col(AuthSession.expires_at) > now,
        )
        .order_by(col(AuthSession.last_used_at).desc())
    )
    for auth_session in rows:
        found[auth_session.user_id].append(auth_session)
    return found


async def active_sessions(deps: Deps, *, user_id: uuid.UUID) -> list[AuthSession]:
    now = deps.clock.now()
    async with deps.database.read() as session:
        rows = await session.execute(
            select(AuthSession)
            .where(
                col(AuthSession.user_id) == user_id,
                col(AuthSession.revoked_at).is_(None),
                col(AuthSession.expires_at) > now,
            )
            .order_by(col(AuthSession.last_used_at).desc())
        )
        return list(rows.scalars().all())


async def _revoke(
    deps: Deps,
    *,
    principal: Principal,
    event_type: EventType,
    reason: str,
    ids: Sequence[uuid.UUID] | None = None,
    keep: uuid.UUID | None = None,
    one_time_tokens: bool = False,
    trusted_devices: Sequence[str] = (),
) -> int:
    now = deps.clock.now()
    async with deps.database.unit_of_work() as session:
        count = await revoke_sessions(
            session, now=now, reason=reason, ids=ids, user_id=principal.user_id, keep=keep
        )
        await trusted.revoke_matching(
            session,
            user_id=principal.user_id,
            now=now,
            reason=reason,
            device_keys=trusted_devices,
            meta=principal.meta,
            actor_id=principal.user_id,
            session_id=principal.session_id,
        )
        if one_time_tokens:
            await one_time.revoke_for_user(
                session,
                user_id=principal.user_id,
                purposes=tuple(TokenPurpose),
                now=now,
                email=principal.email,
            )
        audit.record(
            session,
            event_type=event_type,
            now=now,
            meta=principal.meta,
            actor_id=principal.user_id,
            subject_id=principal.user_id,
            session_id=principal.session_id,
            details={"revoked": count, "sessions": [str(one) for one in ids or []]},
        )
    return count


async def revoke_session(deps: Deps, *, principal: Principal, session_id: uuid.UUID) -> None:
    count = await _revoke(
        deps,
        principal=principal,
        event_type=EventType.SESSION_REVOKED,
        reason="revoked_by_user",
        ids=[session_id],
    )
    if count == 0:
        raise NotFound("Session not found")


async def revoke_other_sessions(deps: Deps, *, principal: Principal) -> int:
    return await _revoke(
        deps,
        principal=principal,
        event_type=EventType.SESSION_REVOKED_OTHERS,
        reason="revoked_by_user",
        keep=principal.session_id,
    )


async def revoke_all_sessions(deps: Deps, *, principal: Principal) -> int:
    """End every session of the caller, and every mailed link: whoever held the account
    must not come back through a reset or email-change link sent before."""
    return await _revoke(
        deps,
        principal=principal,
        event_type=EventType.SESSION_REVOKED_ALL,
        reason="revoked_by_user",
        one_time_tokens=True,
    )


async def login_history(deps: Deps, *, user_id: uuid.UUID, limit: int = 50) -> list[AuditEvent]:
    async with deps.database.read() as session:
        rows = await session.execute(
            select(AuditEvent)
            .where(
                col(AuditEvent.subject_id) == user_id, col(AuditEvent.event_type).in_(LOGIN_EVENTS)
            )
            .order_by(col(AuditEvent.created_at).desc())
            .limit(limit)
        )
        return list(rows.scalars().all())


@dataclass(slots=True)
class Device:
    """A device is the sessions that share a client-sent ``device_id`` (or one session), or a
    live trust whose sessions all ended: until it expires, it can still skip the second
    factor, so it is listed (and removable)."""

    id: str
    device_info: dict[str, Any]
    user_agent: str | None
    ip_address: str | None
    first_seen_at: datetime
    last_used_at: datetime
    sessions: list[AuthSession] = field(default_factory=list)
    trusted_until: datetime | None = None
    """When the device's live trust expires; None: not trusted."""

    @property
    def trusted(self) -> bool:
        return self.trusted_until is not None


_device_key = trusted.device_key_of


def _trust_only(row: TrustedDevice) -> Device:
    return Device(
        id=row.device_key,
        device_info=row.device_info,
        user_agent=None,
        ip_address=None,
        first_seen_at=row.created_at,
        last_used_at=row.last_used_at or row.created_at,
    )


async def devices(deps: Deps, *, principal: Principal) -> list[Device]:
    """The caller's devices, last used first, each with its trust."""
    now = deps.clock.now()
    async with deps.database.read() as session:
        opened = (await active_sessions_of(session, [principal.user_id], now=now))[
            principal.user_id
        ]
        trusts = (await trusted.live_trusts(session, [principal.user_id], now=now))[
            principal.user_id
        ]
    found: dict[str, Device] = {}
    for auth_session in opened:
        key = _device_key(auth_session)
        device = found.get(key)
        if device is None:
            device = found[key] = Device(
                id=key,
                device_info=auth_session.device_info,
                user_agent=auth_session.user_agent,
                ip_address=auth_session.ip_address,
                first_seen_at=auth_session.created_at,
                last_used_at=auth_session.last_used_at,
            )
        device.sessions.append(auth_session)
        device.first_seen_at = min(device.first_seen_at, auth_session.created_at)
    for key, row in trusts.items():
        device = found.get(key)
        if device is None:
            device = found[key] = _trust_only(row)
        device.trusted_until = row.expires_at
    return sorted(found.values(), key=lambda one: one.last_used_at, reverse=True)


async def device(deps: Deps, *, principal: Principal, device_id: str) -> Device:
    for candidate in await devices(deps, principal=principal):
        if candidate.id == device_id:
            return candidate
    raise NotFound("Device not found")


async def remove_device(deps: Deps, *, principal: Principal, device_id: str) -> int:
    """End a device's sessions and revoke its trust, in one transaction."""
    found = await device(deps, principal=principal, device_id=device_id)
    return await _revoke(
        deps,
        principal=principal,
        event_type=EventType.DEVICE_REMOVED,
        reason="device_removed",
        ids=[one.id for one in found.sessions],
        trusted_devices=[found.id],
    )
