"""Trusted devices: a device token whose logins skip the second factor until it expires.

The token is handed once to the device that asked for it (the answer's ``device_token``
and, in cookie mode, the HttpOnly cookie ``COOKIE_NAME``) and stored only as its digest.
A login presenting it (``recognizes``) skips the second factor while the trust is this
user's, not expired and not revoked. Changing or resetting the password and turning MFA
off revoke every trust of the user (``revoke_all``, in the caller's transaction).
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import ColumnElement, and_, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from identity.audit_events import EventType
from identity.config import Settings
from identity.errors import (
    DeviceNotCurrent,
    MfaNotEnabled,
    NotFound,
    SecondFactorRequired,
    TokenInvalid,
    ValidationFailed,
)
from identity.models import AuthSession
from identity.models.mfa import TrustedDevice, UserMfa, WebauthnCredential
from identity.principal import Principal, RequestMeta
from identity.security.secrets import hash_token, new_token
from identity.services import audit
from identity.services.deps import Deps

COOKIE_NAME = "identity_trusted_device"
MAX_DAYS = 90
"""The longest trust of all: ``trusted_device_max_days`` may only lower it."""
MAX_TOKEN_LENGTH = 200
"""Tokens we hand out are 43 characters; anything far longer is not one of ours."""


MAX_DEVICE_ID_LENGTH = 200


def _usable_token(token: str | None) -> str | None:
    if not token or len(token) > MAX_TOKEN_LENGTH:
        return None
    return token


async def recognizes(
    session: AsyncSession, *, user_id: uuid.UUID, token: str | None, now: datetime
) -> bool:
    """Whether ``token`` is a live trust of this user's (touching its ``last_used_at``).

    One conditional UPDATE: a token of another user, an expired one (at ``expires_at`` it
    is expired) or a revoked one matches no row.
    """
    usable = _usable_token(token)
    if usable is None:
        return False
    matched = await session.execute(
        update(TrustedDevice)
        .where(
            col(TrustedDevice.token_hash) == hash_token(usable),
            col(TrustedDevice.user_id) == user_id,
            col(TrustedDevice.revoked_at).is_(None),
            col(TrustedDevice.expires_at) > now,
        )
        .values(last_used_at=now)
        .returning(col(TrustedDevice.id))
    )
    return matched.first() is not None


async def revoke_all(
    session: AsyncSession,
    *,
    user_id: uuid.UUID,
    now: datetime,
    reason: str,
    meta: RequestMeta | None = None,
    actor_id: uuid.UUID | None = None,
) -> int:
    """Revoke every live trust of a user in the caller's transaction; audited when any was.

    ``reason`` says why (``password_changed``, ``password_reset``, ``mfa_disabled``, ...).
    """
    revoked = (
        (
            await session.execute(
                update(TrustedDevice)
                .where(
                    col(TrustedDevice.user_id) == user_id,
                    col(TrustedDevice.revoked_at).is_(None),
                    col(TrustedDevice.expires_at) > now,
                )
                .values(revoked_at=now)
                .returning(col(TrustedDevice.device_key))
            )
        )
        .scalars()
        .all()
    )
    if revoked:
        audit.record(
            session,
            event_type=EventType.MFA_DEVICE_TRUST_REVOKED,
            now=now,
            meta=meta or RequestMeta(),
            actor_id=actor_id,
            subject_id=user_id,
            details={"reason": reason, "revoked": len(revoked), "devices": sorted(revoked)},
        )
    return len(revoked)


SECOND_FACTOR_AMR = frozenset({"mfa", "otp", "hwk", "swk"})
"""``amr`` values that say a session's login proved a second factor (RFC 8176)."""


@dataclass(frozen=True, slots=True)
class TrustIssued:
    """A new trust: ``token`` is shown once (the answer, the cookie), only its digest kept."""

    token: str
    device: TrustedDevice


def device_key_of(auth_session: AuthSession) -> str:
    """The devices list's id of a session: the client's ``device_id``, else the session id."""
    return auth_session.device_id or str(auth_session.id)


def allowed_days(settings: Settings, days: int | None) -> int:
    """``days`` checked against the settings (1 to ``trusted_device_max_days``); None: the
    default ``trusted_device_days`` (never beyond the maximum)."""
    longest = settings.trusted_device_max_days
    if days is None:
        return min(settings.trusted_device_days, longest)
    if isinstance(days, bool) or not isinstance(days, int) or not 1 <= days <= longest:
        raise ValidationFailed(f"days must be a whole number from 1 to {longest}", field="days")
    return days


async def live_trusts(
    session: AsyncSession, user_ids: Sequence[uuid.UUID], *, now: datetime
) -> dict[uuid.UUID, dict[str, TrustedDevice]]:
    """Each user's live trusts by device id (the longest-lived one of a device)."""
    found: dict[uuid.UUID, dict[str, TrustedDevice]] = {user_id: {} for user_id in user_ids}
    if not found:
        return found
    rows = await session.scalars(
        select(TrustedDevice)
        .where(
            col(TrustedDevice.user_id).in_(list(found)),
            col(TrustedDevice.revoked_at).is_(None),
            col(TrustedDevice.expires_at) > now,
        )
        .order_by(col(TrustedDevice.expires_at))
    )
    for row in rows:
        found[row.user_id][row.device_key] = row
    return found


def _this_users_live(user_id: uuid.UUID, now: datetime) -> list[ColumnElement[bool]]:
    return [
        col(TrustedDevice.user_id) == user_id,
        col(TrustedDevice.revoked_at).is_(None),
        col(TrustedDevice.expires_at) > now,
    ]


async def revoke_matching(
    session: AsyncSession,
    *,
    user_id: uuid.UUID,
    now: datetime,
    reason: str,
    device_keys: Sequence[str] = (),
    token: str | None = None,
    meta: RequestMeta | None = None,
    actor_id: uuid.UUID | None = None,
    session_id: uuid.UUID | None = None,
) -> int:
    """Revoke a user's live trusts of these devices and the one ``token`` names, in the
    caller's transaction; audited when any was."""
    chosen: list[ColumnElement[bool]] = []
    if device_keys:
        chosen.append(col(TrustedDevice.device_key).in_(list(device_keys)))
    usable = _usable_token(token)
    if usable is not None:
        chosen.append(col(TrustedDevice.token_hash) == hash_token(usable))
    if not chosen:
        return 0
    revoked = (
        (
            await session.execute(
                update(TrustedDevice)
                .where(*_this_users_live(user_id, now), or_(*chosen))
                .values(revoked_at=now)
                .returning(col(TrustedDevice.device_key))
            )
        )
        .scalars()
        .all()
    )
    if revoked:
        audit.record(
            session,
            event_type=EventType.MFA_DEVICE_TRUST_REVOKED,
            now=now,
            meta=meta or RequestMeta(),
            actor_id=actor_id,
            subject_id=user_id,
            session_id=session_id,
            details={"reason": reason, "revoked": len(revoked), "devices": sorted(set(revoked))},
        )
    return len(revoked)


async def _has_second_factor(session: AsyncSession, user_id: uuid.UUID) -> bool:
    row = await session.get(UserMfa, user_id)
    if row is not None and (
        (row.totp_enabled_at is not None and row.totp_secret is not None)
        or row.email_enabled_at is not None
    ):
        return True
    credential = await session.scalar(
        select(col(WebauthnCredential.id))
        .where(col(WebauthnCredential.user_id) == user_id)
        .limit(1)
    )
    return credential is not None


async def _current_session(
    session: AsyncSession, principal: Principal, *, lock: bool = False
) -> AuthSession:
    """The caller's session row; ``lock``: held until commit, so parallel trusts of one
    session run one after the other and each replaces the one before."""
    current = await session.get(AuthSession, principal.session_id, with_for_update=lock)
    if current is None or current.user_id != principal.user_id:
        raise TokenInvalid("The session has ended")
    return current


async def _is_my_device(
    session: AsyncSession, *, user_id: uuid.UUID, device_id: str, now: datetime
) -> bool:
    """Whether ``device_id`` names one of the user's devices: an open session's, or a live
    trust's (a trusted device whose sessions all ended is still listed). An id no device can
    have (a NUL, which PostgreSQL text refuses, or longer than stored ids) names none."""
    if "\x00" in device_id or len(device_id) > MAX_DEVICE_ID_LENGTH:
        return False
    same: list[ColumnElement[bool]] = [col(AuthSession.device_id) == device_id]
    try:
        same.append(
            and_(col(AuthSession.device_id).is_(None), col(AuthSession.id) == uuid.UUID(device_id))
        )
    except ValueError:
        pass
    opened = await session.scalar(
        select(col(AuthSession.id))
        .where(
            col(AuthSession.user_id) == user_id,
            col(AuthSession.revoked_at).is_(None),
            col(AuthSession.expires_at) > now,
            or_(*same),
        )
        .limit(1)
    )
    if opened is not None:
        return True
    trusted = await session.scalar(
        select(col(TrustedDevice.id))
        .where(*_this_users_live(user_id, now), col(TrustedDevice.device_key) == device_id)
        .limit(1)
    )
    return trusted is not None


async def trust_device(
    deps: Deps,
    *,
    principal: Principal,
    days: int | None = None,
    device_id: str | None = None,
    token: str | None = None,
) -> TrustIssued:
    """Trust the current session's device for ``days``; its logins skip the second factor.

    ``device_id``, when given, must name the current device: another of the caller's devices
    is refused (``DeviceNotCurrent``: its token could not reach it), anyone else's is not
    found. Needs MFA on, a session that signed in with a second factor, and recent
    authentication (``recent.ensure_recent``: a login just completed is recent), since the
    trust lets the password alone sign in. The device's earlier live trust, and the one
    ``token`` names, are replaced.
    """
    length = allowed_days(deps.settings, days)
    now = deps.clock.now()
    async with deps.database.unit_of_work() as session:
        current = await _current_session(session, principal, lock=True)
        key = device_key_of(current)
        if device_id is not None and device_id != key:
            if await _is_my_device(
                session, user_id=principal.user_id, device_id=device_id, now=now
            ):
                raise DeviceNotCurrent()
            raise NotFound("Device not found")
        if not await _has_second_factor(session, principal.user_id):
            raise MfaNotEnabled()
        if not SECOND_FACTOR_AMR.intersection(current.amr or ()):
            raise SecondFactorRequired()
        # Imported here: recent imports auth.password, which imports this module.
        from identity.services.mfa import recent

        await recent.ensure_recent(session, deps, principal=principal)
        replaced = await revoke_matching(
            session,
            user_id=principal.user_id,
            now=now,
            reason="replaced",
            device_keys=[key],
            token=token,
            meta=principal.meta,
            actor_id=principal.user_id,
            session_id=principal.session_id,
        )
        issued = new_token()
        row = TrustedDevice(
            user_id=principal.user_id,
            token_hash=hash_token(issued),
            device_key=key,
            device_info=dict(current.device_info or {}),
            created_at=now,
            expires_at=now + timedelta(days=length),
        )
        session.add(row)
        await session.flush()
        audit.record(
            session,
            event_type=EventType.MFA_DEVICE_TRUSTED,
            now=now,
            meta=principal.meta,
            actor_id=principal.user_id,
            subject_id=principal.user_id,
            session_id=principal.session_id,
            resource="trusted_device",
            resource_id=str(row.id),
            details={"device_id": key, "days": length, "replaced": replaced},
        )
    return TrustIssued(token=issued, device=row)


async def revoke_trust(
    deps: Deps, *, principal: Principal, device_id: str | None = None, token: str | None = None
) -> int:
    """Revoke a device's trust: the current device's (and the one ``token`` names) when
    ``device_id`` is None, else that device's, which must be one of the caller's (a device
    without a live trust answers 0)."""
    now = deps.clock.now()
    async with deps.database.unit_of_work() as session:
        if device_id is None:
            keys = [device_key_of(await _current_session(session, principal))]
        elif await _is_my_device(session, user_id=principal.user_id, device_id=device_id, now=now):
            keys, token = [device_id], None
        else:
            raise NotFound("Device not found")
        return await revoke_matching(
            session,
            user_id=principal.user_id,
            now=now,
            reason="revoked_by_user",
            device_keys=keys,
            token=token,
            meta=principal.meta,
            actor_id=principal.user_id,
            session_id=principal.session_id,
        )
