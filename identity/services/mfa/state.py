"""A user's second factors as every surface shows them: which are enabled, which is offered
first, how many backup codes remain. One reader (``summaries``) serves the login step, the
status route and GraphQL's ``me.mfa`` (batched by its loader).

Backup codes count as a method only beside another factor: they recover an account that has
MFA, they are not MFA on their own.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, and_, bindparam, exists, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from identity.models import User
from identity.models.mfa import BackupCode, MfaMethod, UserMfa, WebauthnCredential
from identity.principal import Principal
from identity.services import runtime_settings
from identity.services.deps import Deps
from identity.services.mfa import trusted

ORDER = (MfaMethod.TOTP, MfaMethod.WEBAUTHN, MfaMethod.EMAIL, MfaMethod.BACKUP_CODE)
"""The order methods are listed in after the preferred one."""
CHOOSABLE = frozenset({MfaMethod.TOTP, MfaMethod.WEBAUTHN, MfaMethod.EMAIL})
"""Methods a user may prefer (a backup code is the way back in, never the first offer)."""


@dataclass(frozen=True, slots=True)
class MfaSummary:
    """One user's factors: ``methods`` with the preferred one first."""

    methods: list[MfaMethod]
    preferred: MfaMethod | None
    backup_codes_remaining: int

    @property
    def enabled(self) -> bool:
        return bool(self.methods)


@dataclass(frozen=True, slots=True)
class MfaStatus:
    """``GET /v1/auth/mfa/status``: the caller's summary, and whether the device token the
    request carried is a live trust of theirs."""

    enabled: bool
    methods: list[MfaMethod]
    preferred: MfaMethod | None
    backup_codes_remaining: int
    trusted_device: bool


@dataclass(frozen=True, slots=True)
class MfaOffer:
    """What the service offers anyone (``GET /v1/auth/settings``): every method, and whom
    the runtime setting ``mfa_required_for`` obliges to enrol (none, admins, all)."""

    enabled: bool
    methods: list[MfaMethod]
    required_for: str


NO_MFA = MfaSummary(methods=[], preferred=None, backup_codes_remaining=0)


async def offer(deps: Deps) -> MfaOffer:
    rules = await runtime_settings.current(deps)
    return MfaOffer(enabled=True, methods=list(ORDER), required_for=rules.mfa_required_for)


def second_factor_enabled(user_id: Any) -> ColumnElement[bool]:
    """Whether the account ``user_id`` has a second factor, in SQL, as ``_summary`` counts
    them (TOTP with its secret, mailed codes, a WebAuthn key; backup codes alone are none):
    the login statement on the driver (``login_sql.OPEN_CHECKED``) opens no session for one."""
    mfa = UserMfa.__table__  # type: ignore[attr-defined]
    keys = WebauthnCredential.__table__  # type: ignore[attr-defined]
    return or_(
        exists().where(
            mfa.c.user_id == user_id,
            or_(
                and_(mfa.c.totp_enabled_at.is_not(None), mfa.c.totp_secret.is_not(None)),
                mfa.c.email_enabled_at.is_not(None),
            ),
        ),
        exists().where(keys.c.user_id == user_id),
    )


def _summary(row: UserMfa | None, webauthn: bool, codes: int) -> MfaSummary:
    factors: set[MfaMethod] = set()
    if row is not None and row.totp_enabled_at is not None and row.totp_secret is not None:
        factors.add(MfaMethod.TOTP)
    if row is not None and row.email_enabled_at is not None:
        factors.add(MfaMethod.EMAIL)
    if webauthn:
        factors.add(MfaMethod.WEBAUTHN)
    if not factors:
        return MfaSummary(methods=[], preferred=None, backup_codes_remaining=codes)
    if codes:
        factors.add(MfaMethod.BACKUP_CODE)
    stored = row.preferred if row is not None else None
    preferred = next(
        (one for one in ORDER if one in factors and one in CHOOSABLE and one == stored),
        next(one for one in ORDER if one in factors and one in CHOOSABLE),
    )
    methods = [preferred, *(one for one in ORDER if one in factors and one != preferred)]
    return MfaSummary(methods=methods, preferred=preferred, backup_codes_remaining=codes)


async def summaries(
    session: AsyncSession, user_ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, MfaSummary]:
    """Every user's summary in three queries, whatever their number (users without a row
    get ``NO_MFA``)."""
    wanted = list(dict.fromkeys(user_ids))
    if not wanted:
        return {}
    rows = {
        row.user_id: row
        for row in (
            await session.scalars(select(UserMfa).where(col(UserMfa.user_id).in_(wanted)))
        ).all()
    }
    with_keys = set(
        (
            await session.scalars(
                select(col(WebauthnCredential.user_id))
                .where(col(WebauthnCredential.user_id).in_(wanted))
                .distinct()
            )
        ).all()
    )
    codes: dict[uuid.UUID, int] = defaultdict(int)
    counted = await session.execute(
        select(col(BackupCode.user_id), func.count())
        .where(col(BackupCode.user_id).in_(wanted), col(BackupCode.used_at).is_(None))
        .group_by(col(BackupCode.user_id))
    )
    for user_id, count in counted.all():
        codes[user_id] = int(count)
    return {
        user_id: _summary(rows.get(user_id), user_id in with_keys, codes[user_id])
        for user_id in wanted
    }


async def summary(session: AsyncSession, user_id: uuid.UUID) -> MfaSummary:
    return (await summaries(session, [user_id]))[user_id]


_ACCOUNT_AND_FACTORS = (
    select(
        User,
        UserMfa,
        exists()
        .where(col(WebauthnCredential.user_id) == col(User.id))
        .correlate(User)
        .label("webauthn"),
        select(func.count())
        .where(col(BackupCode.user_id) == col(User.id), col(BackupCode.used_at).is_(None))
        .correlate(User)
        .scalar_subquery()
        .label("codes"),
    )
    .outerjoin(UserMfa, col(UserMfa.user_id) == col(User.id))
    .where(col(User.id) == bindparam("user_id"))
)
"""The account and what ``summaries`` reads of its factors, in one statement."""


async def account_and_summary(
    session: AsyncSession, user_id: uuid.UUID
) -> tuple[User | None, MfaSummary]:
    """The account (None when gone) and its summary in one statement, for a login's
    transaction: what ``session.get`` and ``summary`` read, one round trip instead of four."""
    row = (await session.execute(_ACCOUNT_AND_FACTORS, {"user_id": user_id})).first()
    if row is None:
        return None, NO_MFA
    user, mfa, webauthn, codes = row
    return user, _summary(mfa, bool(webauthn), int(codes or 0))


async def enabled_methods(session: AsyncSession, user_id: uuid.UUID) -> list[MfaMethod]:
    """The methods a login may complete with, the preferred one first."""
    return (await summary(session, user_id)).methods


async def has_mfa(session: AsyncSession, user_id: uuid.UUID) -> bool:
    return (await summary(session, user_id)).enabled


async def preferred(session: AsyncSession, user_id: uuid.UUID) -> MfaMethod | None:
    return (await summary(session, user_id)).preferred


async def status(deps: Deps, *, principal: Principal, device_token: str | None) -> MfaStatus:
    """The caller's MFA, and whether ``device_token`` is a live trust of theirs."""
    async with deps.database.read() as session:
        found = await summary(session, principal.user_id)
    trusted_device = False
    if device_token:
        async with deps.database.unit_of_work() as session:
            trusted_device = await trusted.recognizes(
                session, user_id=principal.user_id, token=device_token, now=deps.clock.now()
            )
    return MfaStatus(
        enabled=found.enabled,
        methods=found.methods,
        preferred=found.preferred,
        backup_codes_remaining=found.backup_codes_remaining,
        trusted_device=trusted_device,
    )


KeysOfUser = list[WebauthnCredential]
"""One user's security keys and passkeys, oldest first."""


async def webauthn_credentials_of(
    session: AsyncSession, user_ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, KeysOfUser]:
    """Every user's WebAuthn credentials in one query (GraphQL's ``mfa.webauthnCredentials``
    loader); users without any get an empty list."""
    wanted = list(dict.fromkeys(user_ids))
    by_user: dict[uuid.UUID, KeysOfUser] = {user_id: [] for user_id in wanted}
    if wanted:
        rows = await session.scalars(
            select(WebauthnCredential)
            .where(col(WebauthnCredential.user_id).in_(wanted))
            .order_by(col(WebauthnCredential.created_at), col(WebauthnCredential.id))
        )
        for row in rows.all():
            by_user[row.user_id].append(row)
    return by_user
