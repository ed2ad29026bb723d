"""Managing one's second factors, and an administrator's reset of someone's.

- ``set_preferred``: the method offered first at login (an enabled one; never backup codes);
- ``regenerate_backup_codes``: ten new codes replace every old one (recent authentication);
- ``disable``: every factor off (TOTP, email codes, WebAuthn credentials), backup codes and
  pending ceremonies deleted, every device trust revoked (recent authentication; refused
  while ``mfa_required_for`` covers the account: an administrator's reset is the way out);
- ``reset_user_mfa``: the same for another account, by a holder of ``users:write`` who
  reaches it (a tenant's administrator: a member of their tenant) and may manage it.

Each is audited in its own transaction, and the user is mailed when MFA is turned off.
"""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import delete
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from identity.audit_events import EventType
from identity.errors import (
    LastFactorRequired,
    MfaNotEnabled,
    NotFound,
    ValidationFailed,
)
from identity.models import User
from identity.models.mfa import (
    BackupCode,
    MfaChallenge,
    MfaMethod,
    UserMfa,
    WebauthnCredential,
)
from identity.permissions import Permission
from identity.principal import Principal, RequestMeta
from identity.services import access, audit, authorization, runtime_settings, tenancy
from identity.services._kit import get_or_404
from identity.services.deps import Deps
from identity.services.mfa import backup_codes, enrollment, notices, state, trusted
from identity.services.mfa.recent import ensure_recent
from identity.services.mfa.totp import ensured_row, mfa_row


def _method(raw: str) -> MfaMethod:
    try:
        method = MfaMethod(raw.strip().lower()) if len(raw) <= 20 else None
    except ValueError:
        method = None
    if method is None or method not in state.CHOOSABLE:
        raise ValidationFailed("method is one of totp, webauthn, email", field="method")
    return method


async def set_preferred(deps: Deps, *, principal: Principal, method: str) -> state.MfaSummary:
    """Offer ``method`` first at login; it must be enabled."""
    chosen = _method(method)
    now = deps.clock.now()
    async with deps.database.unit_of_work() as session:
        row = await ensured_row(session, principal.user_id, now=now)
        found = await state.summary(session, principal.user_id)
        if not found.enabled:
            raise MfaNotEnabled()
        if chosen not in found.methods:
            raise MfaNotEnabled(f"{chosen.value} is not enabled", field="method")
        row.preferred = chosen.value
        row.updated_at = now
        audit.record(
            session,
            event_type=EventType.MFA_PREFERRED_CHANGED,
            now=now,
            meta=principal.meta,
            actor_id=principal.user_id,
            subject_id=principal.user_id,
            session_id=principal.session_id,
            details={"method": chosen.value},
        )
        await session.flush()
        return await state.summary(session, principal.user_id)


async def regenerate_backup_codes(deps: Deps, *, principal: Principal) -> list[str]:
    """Ten new backup codes (shown once) replace every old one."""
    now = deps.clock.now()
    async with deps.database.unit_of_work() as session:
        await ensure_recent(session, deps, principal=principal)
        await mfa_row(session, principal.user_id, lock=True)
        if not (await state.summary(session, principal.user_id)).enabled:
            raise MfaNotEnabled("Backup codes come with a second factor: enable one first")
        codes = await backup_codes.replace_codes(session, user_id=principal.user_id, now=now)
        audit.record(
            session,
            event_type=EventType.MFA_BACKUP_CODES_REPLACED,
            now=now,
            meta=principal.meta,
            actor_id=principal.user_id,
            subject_id=principal.user_id,
            session_id=principal.session_id,
            details={"backup_codes": len(codes)},
        )
    return codes


async def _remove_every_factor(
    session: AsyncSession,
    *,
    user_id: uuid.UUID,
    now: datetime,
    reason: str,
    meta: RequestMeta,
    actor_id: uuid.UUID,
) -> dict[str, int]:
    """Delete the user's factors, codes and unfinished ceremonies; revoke device trust."""
    removed_keys = await session.execute(
        delete(WebauthnCredential).where(col(WebauthnCredential.user_id) == user_id)
    )
    await session.execute(delete(BackupCode).where(col(BackupCode.user_id) == user_id))
    await session.execute(
        delete(MfaChallenge).where(
            col(MfaChallenge.user_id) == user_id, col(MfaChallenge.used_at).is_(None)
        )
    )
    await session.execute(delete(UserMfa).where(col(UserMfa.user_id) == user_id))
    revoked = await trusted.revoke_all(
        session, user_id=user_id, now=now, reason=reason, meta=meta, actor_id=actor_id
    )
    return {
        "webauthn_credentials": int(getattr(removed_keys, "rowcount", 0) or 0),
        "trusted_devices": revoked,
    }


async def disable(deps: Deps, *, principal: Principal) -> None:
    """Turn MFA off for the caller: every factor, backup code and device trust goes."""
    rules = await runtime_settings.current(deps)
    now = deps.clock.now()
    async with deps.database.unit_of_work() as session:
        await ensure_recent(session, deps, principal=principal)
        await mfa_row(session, principal.user_id, lock=True)
        found = await state.summary(session, principal.user_id)
        if not found.enabled:
            raise MfaNotEnabled()
        user = await get_or_404(session, User, principal.user_id, message="User not found")
        if await enrollment.must_have_mfa(session, user, rules.mfa_required_for):
            raise LastFactorRequired(
                "Multi-factor authentication is required for this account: it cannot be "
                "turned off (an administrator can reset it)"
            )
        removed = await _remove_every_factor(
            session,
            user_id=user.id,
            now=now,
            reason="mfa_disabled",
            meta=principal.meta,
            actor_id=principal.user_id,
        )
        audit.record(
            session,
            event_type=EventType.MFA_DISABLED,
            now=now,
            meta=principal.meta,
            actor_id=principal.user_id,
            subject_id=principal.user_id,
            session_id=principal.session_id,
            details={
                "methods": [one.value for one in found.methods],
                "backup_codes": found.backup_codes_remaining,
                **removed,
            },
        )
        notices.disabled(session, user=user, now=now)


async def reset_user_mfa(deps: Deps, *, principal: Principal | None, user_id: uuid.UUID) -> None:
    """An administrator turns another account's MFA off (a lost phone and codes): audited,
    and the user is mailed. Idempotent: an account without MFA is reset again harmlessly."""
    caller = await authorization.require(deps, principal, Permission.USERS_WRITE)
    now = deps.clock.now()
    async with deps.database.unit_of_work() as session:
        reach, caller_holds = await tenancy.reach_now(session, caller, Permission.USERS_WRITE)
        user = await get_or_404(session, User, user_id, message="User not found", field="user_id")
        if not await tenancy.within(session, reach, user.id):
            raise NotFound("User not found", field="user_id")
        access.ensure_manageable(caller_holds, (await access.holdings(session, [user.id]))[user.id])
        await mfa_row(session, user.id, lock=True)
        found = await state.summary(session, user.id)
        removed = await _remove_every_factor(
            session,
            user_id=user.id,
            now=now,
            reason="mfa_reset",
            meta=caller.meta,
            actor_id=caller.user_id,
        )
        audit.record(
            session,
            event_type=EventType.MFA_RESET,
            now=now,
            meta=caller.meta,
            actor_id=caller.user_id,
            subject_id=user.id,
            session_id=caller.session_id,
            resource="users",
            resource_id=str(user.id),
            details={
                "methods": [one.value for one in found.methods],
                "backup_codes": found.backup_codes_remaining,
                **removed,
            },
            tenant_id=reach.tenant_id,
        )
        notices.reset(session, user=user, now=now)
