"""TOTP: enrolment (a setup answers a secret, an enable proves an app holds it) and the check
every TOTP code goes through (``check_totp``: a code works once).

A setup enables nothing: the secret waits, sealed, in ``totp_pending_secret`` for
``SETUP_MINUTES``; a new setup replaces it. Only ``enable`` with a code of that secret moves
it to ``totp_secret``, and answers ten backup codes, shown once.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import or_, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from identity.audit_events import EventType
from identity.errors import MfaAlreadyEnabled, MfaCodeInvalid, MfaSetupRequired, ValidationFailed
from identity.models.mfa import UserMfa
from identity.principal import Principal
from identity.ratelimit import Budget
from identity.security import otp
from identity.services import audit, request_budgets
from identity.services.deps import Deps
from identity.services.mfa import backup_codes, notices

SETUP_MINUTES = 15
MAX_CODE_LENGTH = 32
"""Longer input is not a code; it is refused before anything is read."""


@dataclass(frozen=True, slots=True)
class TotpSetup:
    """What a setup answers: the secret (base32), the ``otpauth://`` URL and its QR code."""

    secret: str
    url: str
    qr_svg_data_uri: str


def checked_code(code: str, *, field: str = "code") -> str:
    """A TOTP code as typed, trimmed; ValidationFailed when it cannot be one (6 digits)."""
    cleaned = code.strip() if len(code) <= MAX_CODE_LENGTH else code
    if len(cleaned) != otp.DIGITS or not cleaned.isascii() or not cleaned.isdigit():
        raise ValidationFailed(f"A code is {otp.DIGITS} digits", field=field)
    return cleaned


async def mfa_row(session: AsyncSession, user_id: uuid.UUID, *, lock: bool) -> UserMfa | None:
    statement = select(UserMfa).where(col(UserMfa.user_id) == user_id)
    if lock:
        statement = statement.with_for_update()
    return (await session.scalars(statement)).first()


async def ensured_row(session: AsyncSession, user_id: uuid.UUID, *, now: datetime) -> UserMfa:
    """The user's row, created if missing (one statement, so two first setups racing do not
    both insert), then locked."""
    dialect = session.bind.dialect.name if session.bind else "sqlite"
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    await session.execute(
        insert(UserMfa.__table__)  # type: ignore[attr-defined]
        .values(user_id=user_id, updated_at=now)
        .on_conflict_do_nothing(index_elements=["user_id"])
    )
    row = await mfa_row(session, user_id, lock=True)
    assert row is not None  # noqa: S101 (inserted above or there already)
    return row


async def setup(deps: Deps, *, principal: Principal) -> TotpSetup:
    """A new secret waiting to be proved (any earlier one is replaced); enables nothing."""
    now = deps.clock.now()
    secret = otp.new_totp_secret()
    sealed = otp.secret_sealer(deps.settings).seal(secret)
    async with deps.database.unit_of_work() as session:
        row = await ensured_row(session, principal.user_id, now=now)
        if row.totp_enabled_at is not None:
            raise MfaAlreadyEnabled("TOTP is enabled already; disable MFA to enrol again")
        row.totp_pending_secret = sealed
        row.totp_pending_at = now
        row.updated_at = now
        audit.record(
            session,
            event_type=EventType.MFA_TOTP_SETUP,
            now=now,
            meta=principal.meta,
            actor_id=principal.user_id,
            subject_id=principal.user_id,
            session_id=principal.session_id,
        )
    url = otp.provisioning_uri(secret, account=principal.email, issuer=deps.settings.mfa_issuer)
    import segno  # QR codes only for a setup: ~1 MB not loaded before the first

    return TotpSetup(secret=secret, url=url, qr_svg_data_uri=segno.make(url).svg_data_uri())


async def enable(deps: Deps, *, principal: Principal, code: str) -> list[str]:
    """Prove the app holds the pending secret: TOTP is enabled, ten backup codes answered.

    Needs recent authentication or an enrolment token (``recent.ensure_may_add``)."""
    cleaned = checked_code(code)
    await request_budgets.charge(deps, Budget.MFA_VERIFY, principal.meta)
    now = deps.clock.now()
    async with deps.database.unit_of_work() as session:
        row = await mfa_row(session, principal.user_id, lock=True)
        if row is not None and row.totp_enabled_at is not None:
            raise MfaAlreadyEnabled("TOTP is enabled already")
        if (
            row is None
            or row.totp_pending_secret is None
            or row.totp_pending_at is None
            or now >= row.totp_pending_at + timedelta(minutes=SETUP_MINUTES)
        ):
            raise MfaSetupRequired()
        # Imported here: recent checks codes through this module.
        from identity.services.mfa import recent

        await recent.ensure_may_add(session, deps, principal=principal)
        secret = otp.secret_sealer(deps.settings).open(row.totp_pending_secret)
        step = otp.matching_step(secret, cleaned, now=now, after_step=None)
        if step is None:
            raise MfaCodeInvalid("The code does not match the secret of the setup", field="code")
        row.totp_secret = row.totp_pending_secret
        row.totp_pending_secret = None
        row.totp_pending_at = None
        row.totp_enabled_at = now
        row.totp_last_step = step
        row.updated_at = now
        codes = await backup_codes.replace_codes(session, user_id=principal.user_id, now=now)
        audit.record(
            session,
            event_type=EventType.MFA_ENABLED,
            now=now,
            meta=principal.meta,
            actor_id=principal.user_id,
            subject_id=principal.user_id,
            session_id=principal.session_id,
            details={"method": "totp", "backup_codes": len(codes)},
        )
        notices.factor_added(session, user=principal.user, now=now, factor="an authenticator app")
    return codes


async def check_totp(session: AsyncSession, deps: Deps, *, user_id: uuid.UUID, code: str) -> bool:
    """Whether ``code`` is a TOTP code of the user's enabled secret not accepted before; on
    success the step is remembered, in the caller's transaction, so the code never works
    again. The row is locked and the step advanced by a conditional update: of two parallel
    uses of one code, one passes."""
    if len(code) > MAX_CODE_LENGTH:
        return False
    row = await mfa_row(session, user_id, lock=True)
    if row is None or row.totp_enabled_at is None or row.totp_secret is None:
        return False
    now = deps.clock.now()
    secret = otp.secret_sealer(deps.settings).open(row.totp_secret)
    step = otp.matching_step(secret, code, now=now, after_step=row.totp_last_step)
    if step is None:
        return False
    advanced = await session.execute(
        update(UserMfa)
        .where(
            col(UserMfa.user_id) == user_id,
            or_(col(UserMfa.totp_last_step).is_(None), col(UserMfa.totp_last_step) < step),
        )
        .values(totp_last_step=step, updated_at=now)
        .returning(col(UserMfa.user_id))
        .execution_options(synchronize_session=False)
    )
    if advanced.first() is None:
        return False
    await session.refresh(row)
    return True
